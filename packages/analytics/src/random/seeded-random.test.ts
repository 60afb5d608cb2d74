import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from './seeded-random.js';

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const draw = (seed: string) => {
      const rng = new SeededRandom(seed);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    assert.deepEqual(draw('a'), draw('a'));
    assert.notDeepEqual(draw('a'), draw('b'));
  });

  it('stays within bounds', () => {
    const rng = new SeededRandom('bounds');
    for (let i = 0; i < 10_000; i++) {
      const f = rng.float();
      assert.ok(f >= 0 && f < 1);
      const n = rng.intBetween(3, 7);
      assert.ok(Number.isInteger(n) && n >= 3 && n <= 7);
      const c = rng.clampedNormal(0, 10, -1, 1);
      assert.ok(c >= -1 && c <= 1);
    }
  });

  it('makes version 4 UUIDs and digit strings', () => {
    const rng = new SeededRandom('ids');
    for (let i = 0; i < 100; i++) {
      assert.match(rng.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(rng.digits(9), /^\d{9}$/);
    }
  });

  it('draws normals with the requested mean and spread (fixed seed)', () => {
    const rng = new SeededRandom('normal');
    const n = 50_000;
    const xs = Array.from({ length: n }, () => rng.normal(10, 2));
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    assert.ok(Math.abs(mean - 10) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(sd - 2) < 0.05, `sd ${sd}`);
  });

  it('picks by weight', () => {
    const rng = new SeededRandom('weights');
    let heavy = 0;
    for (let i = 0; i < 10_000; i++)
      if (rng.weighted(['light', 'heavy'], (x) => (x === 'heavy' ? 9 : 1)) === 'heavy') heavy++;
    assert.ok(heavy > 8_700 && heavy < 9_300, `heavy ${heavy}`);
  });
});
