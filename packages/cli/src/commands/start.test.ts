import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryDeps, runCli } from '../testing/cli-harness.js';
import { main } from '../cli.js';

async function until<T>(probe: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('medledger start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'medledger-cli-start-'));
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the server in-process (as npm start) until it is asked to stop, then exits 0', async () => {
    let stop: (signal: string) => void = () => undefined;
    const deps = new MemoryDeps({
      env: { LOG_LEVEL: 'silent' },
      shutdown: new Promise((resolve) => {
        stop = resolve;
      }),
    });
    const running = main(['start', '--data-dir', dataDir, '--port', '0', '--json'], deps);
    const started = await until(() => (deps.stdoutText === '' ? undefined : deps.stdoutText), 'the start line');
    const { url, dataDir: used, demo } = JSON.parse(started) as { url: string; dataDir: string; demo: boolean };
    assert.equal(used, dataDir);
    assert.equal(demo, true);
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    stop('SIGTERM');
    assert.equal(await running, 0);
    assert.match(deps.stderrText, /SIGTERM, stopping/);
    await assert.rejects(fetch(`${url}/health`), 'the server is closed');
  });

  it('refuses an invalid configuration with every problem (exit 2), and --url', async () => {
    const bad = await runCli(['start', '--data-dir', dataDir, '--port', 'eighty'], { env: { LOG_LEVEL: 'loud' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /PORT must be an integer/);
    assert.match(bad.stderr, /LOG_LEVEL must be one of/);
    const remote = await runCli(['start', '--url', 'http://127.0.0.1:8080']);
    assert.equal(remote.code, 2);
  });
});
