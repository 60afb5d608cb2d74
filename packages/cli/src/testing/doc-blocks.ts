// Runs the shell examples of the documentation as written (docs check, backup/restore check).
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const REPOSITORY = resolve(__dirname, '..', '..', '..', '..');
const BIN = join(REPOSITORY, 'packages', 'cli', 'bin', 'medledger.mjs');

/** The ```sh blocks of `markdown`, or of its `## heading` section only. */
export function shellBlocks(markdown: string, section?: string): string[] {
  let text = markdown;
  if (section !== undefined) {
    const start = text.indexOf(`\n## ${section}\n`);
    if (start < 0) throw new Error(`no "## ${section}" section`);
    const end = text.indexOf('\n## ', start + 4);
    text = text.slice(start, end < 0 ? undefined : end);
  }
  return [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

/**
 * What every block runs under: strict mode; a curl whose request fails fails the block (with the server's answer);
 * `npx medledger` is this checkout's bin (npx would look for it from the working directory), any other npx refused.
 */
export function preamble(lines: readonly string[] = []): string {
  return [
    'set -Eeuo pipefail',
    ...lines,
    'curl() { command curl --fail-with-body --show-error --max-time 120 "$@"; }',
    `npx() { if [ "$1" = medledger ]; then shift; node ${JSON.stringify(BIN)} "$@"; else echo "docs check: npx $1 is not run" >&2; return 1; fi; }`,
    'trap \'echo "docs check: failed at line $LINENO: $BASH_COMMAND" >&2\' ERR',
    '',
  ].join('\n');
}

export interface BlockRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `script` with bash in `cwd`; resolves when it ends. */
export function runBash(script: string, cwd: string, env: Readonly<Record<string, string>> = {}): Promise<BlockRun> {
  const child = spawn('bash', ['-c', script], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => {
    child.once('close', (code) => {
      done({ code: code ?? 1, stdout, stderr });
    });
  });
}
