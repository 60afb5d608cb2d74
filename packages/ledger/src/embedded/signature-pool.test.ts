import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SignaturePool, type SignatureCheck } from './signature-pool.js';

// Unit test with stand-in workers: one that dies at once, one that vouches for everything it is sent, so the test
// can tell which worker answered. The real worker's checks are covered by the ledger's validation tests.
const dying = (): Worker => new Worker('process.exit(3)', { eval: true });
const approving = (): Worker =>
  new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (r) => parentPort.postMessage({ id: r.id, results: r.items.map(() => true) }));`,
    { eval: true },
  );

const checks: SignatureCheck[] = [1, 2, 3].map((n) => ({
  certPem: `cert-${n}`,
  data: new Uint8Array([n]),
  signature: 'sig',
}));

test('a pool whose only worker died answers "not verified" instead of hanging', { timeout: 10_000 }, async () => {
  const pool = new SignaturePool(1, dying);
  assert.deepEqual(await pool.verify(checks), [false, false, false]);
  assert.deepEqual(await pool.verify(checks), [false, false, false], 'later calls must not wait on the dead worker');
  await pool.close();
});

test('after a worker dies, its share goes to the live workers', { timeout: 10_000 }, async () => {
  let started = 0;
  const pool = new SignaturePool(2, () => (started++ === 0 ? dying() : approving()));
  // Let the dying worker exit before the calls that must avoid it.
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let round = 0; round < 3; round++) {
    assert.deepEqual(await pool.verify(checks), [true, true, true]);
  }
  await pool.close();
});

test('close answers what is still in flight', { timeout: 10_000 }, async () => {
  const silent = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await once(silent, 'online');
  const pool = new SignaturePool(1, () => silent);
  const answer = pool.verify(checks);
  await pool.close();
  assert.deepEqual(await answer, [false, false, false]);
});
