import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CryptoRandom } from './random.js';

// Hoeffding: with N draws and tolerance t, a correct source fails with probability ≤ 2·exp(−2Nt²) per check.
const N = 600_000;

describe('CryptoRandom', () => {
  const random = new CryptoRandom();

  it('draws uniformly below small bounds (each face within 0.005 of 1/6; false failure ≤ 6·2e−30 ≈ 1.1e−12)', () => {
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < N; i++) {
      const v = random.uniformInt(6);
      counts[v] = (counts[v] ?? 0) + 1;
    }
    for (const c of counts) assert.ok(Math.abs(c / N - 1 / 6) < 0.005, `face frequency ${c / N}`);
    for (let i = 0; i < 1000; i++) assert.equal(random.uniformInt(1), 0);
  });

  it('draws uniformly below bounds beyond 2^32 (mean within 0.01 of ½: failure ≤ 2e−40)', () => {
    const bound = 2 ** 40 + 3;
    let sum = 0;
    for (let i = 0; i < 200_000; i++) {
      const v = random.uniformInt(bound);
      assert.ok(Number.isInteger(v) && v >= 0 && v < bound);
      sum += v / bound;
    }
    assert.ok(Math.abs(sum / 200_000 - 0.5) < 0.01);
  });

  it('refuses bounds outside [1, 2^53]', () => {
    for (const bound of [0, -1, 1.5, 2 ** 53 + 2, Number.NaN]) {
      assert.throws(() => random.uniformInt(bound), { code: 'INVALID_ARGUMENT' });
    }
  });
});
