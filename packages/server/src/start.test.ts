import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const START = join(__dirname, 'start.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

async function waitForHealth(base: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the server did not become healthy');
}

describe('npm start (the real process)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'medledger-start-'));
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts with no configuration but a data dir, serves the demo, logs no PHI or tokens, stops on SIGTERM', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', START], {
      env: { ...process.env, PORT: String(port), MEDLEDGER_DATA_DIR: dataDir, NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
      }),
    );
    try {
      await waitForHealth(base, Date.now() + 60_000);
      const login = await fetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password&username=dr.grey&password=medledger-demo',
      });
      const { access_token: token } = (await login.json()) as { access_token: string };
      const search = await fetch(`${base}/fhir/Patient?name=anders`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(search.status, 200);
      const bundle = (await search.json()) as { total: number };
      assert.equal(bundle.total, 1);
      assert.equal(statSync(dataDir).mode & 0o077, 0, 'the data directory is private');
      assert.equal(statSync(join(dataDir, 'secrets', 'storage.key')).mode & 0o077, 0);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(output, /DEMO accounts created/);
      assert.doesNotMatch(output, /anders|Anders|1985-02-14/, 'no PHI in the logs');
      assert.equal(output.includes(token), false, 'no token in the logs');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses an invalid configuration with one line per problem and exit code 2', async () => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', START], {
      env: { ...process.env, PORT: 'eighty', NODE_ENV: 'production', MEDLEDGER_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) =>
      child.on('exit', (c) => {
        resolve(c);
      }),
    );
    assert.equal(code, 2);
    assert.match(output, /PORT must be an integer/);
    assert.match(output, /MEDLEDGER_STORAGE_KEY is required/);
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
  });
});
