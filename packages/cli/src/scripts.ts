import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './errors.js';
import type { CliDeps } from './io.js';

/**
 * The Medledger checkout this command runs from (the folder with `network/` and `packages/`): `network` and `bench`
 * run its scripts, which an installed package does not ship.
 */
export function repositoryRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && existsSync(join(dir, 'network', 'build.sh'))) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (name === 'medledger') return dir;
    }
    if (dirname(dir) === dir) break;
  }
  throw new CliError(EXIT.usage, 'this command runs the scripts of a Medledger checkout, and none was found around it');
}

export interface ScriptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a script of the checkout to its end. Its output streams to ours as it comes (`capture` keeps it instead, for
 * --json); Ctrl-C reaches it through the terminal's process group.
 */
export function runScript(
  deps: CliDeps,
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly capture: boolean; readonly env?: Readonly<Record<string, string>> },
): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...deps.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (options.capture) stdout += chunk;
      else deps.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: string) => {
      if (options.capture) stderr += chunk;
      else deps.stderr.write(chunk);
    });
    child.once('error', (error) => {
      reject(new CliError(EXIT.failure, `cannot run ${command}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      resolve({ code: code ?? (signal === 'SIGINT' ? EXIT.interrupted : EXIT.failure), stdout, stderr });
    });
  });
}
