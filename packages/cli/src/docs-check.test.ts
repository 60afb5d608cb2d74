// The docs check: every command of the README's Quick start and every example of docs/api.md runs, as written,
// against a fresh server. The only substitutions are the ones the docs themselves describe: another port in place of
// localhost:8080 (and MEDLEDGER_URL for the medledger command), and a fresh data directory (MEDLEDGER_DATA_DIR).
// `npm install` is not rerun (the tests run inside the installed workspace); `npx medledger` runs this checkout's bin.
// Every curl fails the check on an HTTP error (curl --fail-with-body) and every block runs with `set -Eeuo pipefail`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closedPort } from './testing/cli-harness.js';
import { preamble, REPOSITORY, runBash, shellBlocks } from './testing/doc-blocks.js';
import type { BlockRun } from './testing/doc-blocks.js';

const ROOT = REPOSITORY;

/** The port substitution the docs describe. */
function onPort(block: string, port: number): string {
  return block
    .replaceAll('http://localhost:8080', `http://127.0.0.1:${port}`)
    .replaceAll('localhost:8080', `127.0.0.1:${port}`);
}

function portPreamble(port: number): string {
  return preamble([`export MEDLEDGER_URL=http://127.0.0.1:${port}`]);
}

function withoutComment(line: string): string {
  return line.replace(/\s+#.*$/, '').trim();
}

async function waitForHealth(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the quick start's server exited (${server.exitCode}):\n${log()}`);
    const ok = await fetch(`${url}/health`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the quick start's server did not become healthy:\n${log()}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

describe('docs check: the README quick start and the docs/api.md examples run against a fresh server', () => {
  const work = mkdtempSync(join(tmpdir(), 'medledger-docs-check-'));
  const dataDir = join(work, 'data');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const [install = '', ...journeys] = shellBlocks(readme, 'Quick start');
  let port = 0;
  let server: ChildProcess | undefined;
  let serverLog = '';

  const runBlocks = (blocks: readonly string[]): Promise<BlockRun> =>
    runBash(portPreamble(port) + blocks.map((block) => onPort(block, port)).join('\n'), work, {
      MEDLEDGER_DATA_DIR: dataDir,
    });

  before(async () => {
    port = await closedPort();
    const lines = install
      .split('\n')
      .map(withoutComment)
      .filter((line) => line !== '');
    assert.equal(lines.length, 2, `the quick start is two commands:\n${install}`);
    assert.equal(lines[0], 'npm install');
    // npm install: the workspace these tests run in is installed; the bin it links is there.
    assert.ok(existsSync(join(ROOT, 'node_modules', '.bin', 'medledger')), 'npm install links the medledger bin');
    // The second command serves until stopped: run it in the background in its own process group.
    server = spawn('bash', ['-c', `${portPreamble(port)}${onPort(lines[1] ?? '', port)}`], {
      cwd: work,
      env: { ...process.env, MEDLEDGER_DATA_DIR: dataDir, PORT: String(port), NO_COLOR: '1' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    await waitForHealth(`http://127.0.0.1:${port}`, server, () => serverLog);
  });

  after(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((done) => server?.once('exit', done));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('the quick start server printed whom to log in as', () => {
    assert.match(serverLog, /Medledger demo ready in /);
    assert.match(serverLog, /Log in with password medledger-demo as:/);
    assert.match(serverLog, /Web UI: +\S*http:\/\/[^ ]+:\d+\/\S* \(research portal: sign in as res\.rosa/);
  });

  it("the README's main journey: no consent → grant → the Observation is permitted; the audit shows both", async () => {
    assert.ok(journeys.length >= 1, 'the quick start has a journey block');
    const result = await runBlocks(journeys);
    assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
    const denied = result.stdout.indexOf('"total":0');
    const permitted = result.stdout.indexOf('"total":1');
    assert.ok(denied >= 0 && permitted > denied, result.stdout);
    assert.match(result.stdout, /granted Consent\//);
    assert.match(result.stdout, /search/);
  });

  it('every docs/api.md example succeeds, in order', async () => {
    const blocks = shellBlocks(readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8'));
    assert.ok(blocks.length >= 4, `docs/api.md has its examples (${blocks.length} blocks)`);
    const result = await runBlocks(blocks);
    assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
    assert.match(result.stdout, /"access_token":"eyJ/);
    assert.match(result.stdout, /"resourceType":"CapabilityStatement"|"resourceType":"Bundle"/);
    assert.match(result.stdout, /"ok":true/, 'the verify example reports ok');
  });

  it('control: an example whose request fails, or whose command fails, fails the check', async () => {
    const missing = await runBlocks(['curl -s localhost:8080/fhir/NoSuchType']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /docs check: failed at line/);
    const refused = await runBlocks(['npx medledger consent list --user nobody']);
    assert.notEqual(refused.code, 0);
  });
});
