import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bernoulli, bernoulliExpNeg, geometricAlpha, sampleDiscreteLaplace } from './discrete-laplace.js';
import type { RandomSource } from './random.js';
import { CryptoRandom } from './random.js';

/*
 * Statistical tests with fresh node:crypto randomness and fixed sample sizes. Each tolerance is chosen so that a
 * correct sampler fails with a probability that is astronomically small, by bounds that hold for any sample:
 *
 * - an event frequency from N independent draws: Hoeffding, P(|p̂ − p| ≥ t) ≤ 2·exp(−2Nt²). With N = 200,000 and
 *   t = 0.01 that is 2·e^−40 ≈ 8.5e−18 per event; the whole file checks fewer than 60 events, so a false failure has
 *   probability below 1e−15.
 * - the mean of N discrete Laplace draws: a Chernoff bound from the exact moment generating function, computed below
 *   and asserted to be below 1e−15 before the mean is checked.
 */
const N = 200_000;
const TOLERANCE = 0.01;
const HOEFFDING = 2 * Math.exp(-2 * N * TOLERANCE ** 2);

/** A source that walks 0, 1, 2, … (mod bound): deterministic, for exact tests. */
class CountingSource implements RandomSource {
  #i = 0;
  uniformInt(bound: number): number {
    return this.#i++ % bound;
  }
}

function pmf(alpha: number, z: number): number {
  return ((1 - alpha) / (1 + alpha)) * alpha ** Math.abs(z);
}

/** Chernoff bound on P(|mean of n draws| ≥ a): 2·min over λ in (0, −ln α) of exp(−n(λa − ln M(λ))). */
function chernoffMeanBound(alpha: number, n: number, a: number): number {
  const lambdaMax = -Math.log(alpha);
  let best = 1;
  for (let i = 1; i < 1000; i++) {
    const lambda = (lambdaMax * i) / 1000;
    const logMgf =
      2 * Math.log(1 - alpha) - Math.log(1 - alpha * Math.exp(lambda)) - Math.log(1 - alpha * Math.exp(-lambda));
    best = Math.min(best, Math.exp(-n * (lambda * a - logMgf)));
  }
  return 2 * best;
}

describe('exact Bernoulli samplers', () => {
  it('Bernoulli(n/d) is true for exactly n of every d consecutive uniform values', () => {
    const source = new CountingSource();
    let heads = 0;
    for (let i = 0; i < 7 * 100; i++) if (bernoulli(3, 7, source)) heads++;
    assert.equal(heads, 300);
    assert.equal(bernoulli(0, 5, source), false);
    assert.throws(() => bernoulli(1, 0, source), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => bernoulli(-1, 2, source), { code: 'INVALID_ARGUMENT' });
  });

  it('Bernoulli(exp(−γ)) has frequency exp(−γ), also for γ > 1', () => {
    assert.ok(HOEFFDING < 1e-16);
    const random = new CryptoRandom();
    for (const [num, den] of [
      [0, 1],
      [3, 10],
      [1, 1],
      [5, 2],
    ] as const) {
      let heads = 0;
      for (let i = 0; i < N; i++) if (bernoulliExpNeg(num, den, random)) heads++;
      const expected = Math.exp(-num / den);
      assert.ok(Math.abs(heads / N - expected) < TOLERANCE, `γ=${num}/${den}: ${heads / N} vs ${expected}`);
    }
  });
});

describe('discrete Laplace (two-sided geometric) sampler', () => {
  const random = new CryptoRandom();
  // (t, s): scale t/s = Δ/ε. (1,1): ε = 1, Δ = 1. (4,1): Δ = 2, ε = 0.5. (10⁶, 700,000): Δ = 1, ε = 0.7 given in
  // micro-epsilon, as the releases call it.
  const cases = [
    { t: 1, s: 1 },
    { t: 4, s: 1 },
    { t: 1_000_000, s: 700_000 },
  ];

  for (const { t, s } of cases) {
    it(`matches P(Z = z) = (1−α)/(1+α)·α^|z| at scale ${t}/${s}`, () => {
      const alpha = Math.exp(-s / t);
      const counts = new Map<number, number>();
      let sum = 0;
      for (let i = 0; i < N; i++) {
        const z = sampleDiscreteLaplace(t, s, random);
        assert.ok(Number.isInteger(z));
        counts.set(z, (counts.get(z) ?? 0) + 1);
        sum += z;
      }
      for (let z = -4; z <= 4; z++) {
        const observed = (counts.get(z) ?? 0) / N;
        assert.ok(Math.abs(observed - pmf(alpha, z)) < TOLERANCE, `P(Z=${z}) ${observed} vs ${pmf(alpha, z)}`);
      }
      // Tail: P(|Z| ≥ 5) = 2α⁵/(1+α).
      const tail = [...counts].filter(([z]) => Math.abs(z) >= 5).reduce((a, [, c]) => a + c, 0) / N;
      assert.ok(Math.abs(tail - (2 * alpha ** 5) / (1 + alpha)) < TOLERANCE, `tail ${tail}`);
      // Mean ≈ 0: the tolerance is the smallest multiple of 0.005 whose Chernoff bound is below 1e−15.
      let a = 0.005;
      while (chernoffMeanBound(alpha, N, a) > 1e-15) a += 0.005;
      assert.ok(a <= 0.03 * (t / s) + 0.05, 'the bound is useful');
      assert.ok(Math.abs(sum / N) < a, `mean ${sum / N} (tolerance ${a})`);
    });
  }

  it('gives the same distribution for equivalent fractions and refuses bad scales', () => {
    assert.equal(geometricAlpha(1, 1), Math.exp(-1));
    assert.throws(() => sampleDiscreteLaplace(0, 1, random), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => sampleDiscreteLaplace(1.5, 1, random), { code: 'INVALID_ARGUMENT' });
    // 2/2 is reduced to 1/1 first: both consume randomness identically from the same deterministic source.
    const a = new CountingSource();
    const b = new CountingSource();
    for (let i = 0; i < 20; i++) assert.equal(sampleDiscreteLaplace(2, 2, a), sampleDiscreteLaplace(1, 1, b));
  });
});
