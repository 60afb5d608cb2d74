import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(__dirname, '..', '..', '..');

function runNode(script: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--input-type=commonjs', '-e', script],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('embedded mode dependencies', () => {
  it('never loads gRPC or fabric-shim', () => {
    const { status, stdout, stderr } = runNode(`
      require('./packages/ledger/src/index.ts');
      const loaded = Object.keys(require.cache).filter((file) => /[\\\\/](@grpc|grpc|fabric-shim|fabric-protos|@hyperledger)[\\\\/]/.test(file));
      console.log(JSON.stringify(loaded));
    `);
    assert.equal(status, 0, stderr);
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]'), []);
  });

  it('keeps Node fail-fast: an uncaught exception still ends the process after the contract is loaded', () => {
    const { status, stderr } = runNode(`
      require('./packages/ledger/src/index.ts');
      setTimeout(() => { throw new Error('deliberate failure'); }, 10);
      setTimeout(() => { console.log('still running'); process.exit(0); }, 500);
    `);
    assert.notEqual(status, 0);
    assert.match(stderr, /deliberate failure/);
  });

  it('keeps Node fail-fast for unhandled rejections too', () => {
    const { status, stderr } = runNode(`
      require('./packages/ledger/src/index.ts');
      setTimeout(() => { void Promise.reject(new Error('deliberate rejection')); }, 10);
      setTimeout(() => { process.exit(0); }, 500);
    `);
    assert.notEqual(status, 0);
    assert.match(stderr, /deliberate rejection/);
  });
});
