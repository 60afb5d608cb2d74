import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '@medledger/core';
import { SeededRandom } from '../random/seeded-random.js';
import { MemoryPrivacyAccountant } from './accountant.js';
import { gaussianSigmaSquared, rhoFor, sampleDiscreteGaussian, uniformBigInt } from './discrete-gaussian.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import type { RandomSource } from './random.js';
import type { NoiseSource } from './release.js';
import { noiseFrom, releaseCount, releaseHistogram, releaseMean, releaseSum } from './release.js';

/** A reproducible uniform source for statistical tests only (production noise uses node:crypto). */
class SeededUniform implements RandomSource {
  readonly #random: SeededRandom;
  draws = 0;
  constructor(seed: string) {
    this.#random = new SeededRandom(seed);
  }
  uniformInt(bound: number): number {
    this.draws++;
    if (bound <= 4_294_967_296) {
      const limit = 4_294_967_296 - (4_294_967_296 % bound);
      for (;;) {
        const word = this.#random.nextUint32();
        if (word < limit) return word % bound;
      }
    }
    const limit = 2 ** 53 - (2 ** 53 % bound);
    for (;;) {
      const value = (this.#random.nextUint32() & 0x1fffff) * 4_294_967_296 + this.#random.nextUint32();
      if (value < limit) return value % bound;
    }
  }
}

function moments(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

const N = 20_000;

describe('DP noise distributions (fixed seed)', () => {
  it('discrete Laplace noise of a count release has mean ≈ 0 and the configured scale Δ/ε', async () => {
    const noise = noiseFrom(new SeededUniform('laplace-seed-7'));
    const accountant = new MemoryPrivacyAccountant(10);
    const epsilon = 0.5; // scale 2: α = e^(−1/2), variance 2α/(1−α)² ≈ 7.92
    const values: number[] = [];
    for (let i = 0; i < N; i++) {
      const release = await releaseCount(1000, {
        accountant: { spend: (r) => accountant.spend({ ...r, epsilon: 0.000001 }) },
        epsilon,
        query: { i },
        noise,
      });
      assert.equal(release.scale, 2);
      values.push(release.value - 1000);
    }
    const alpha = Math.exp(-epsilon);
    const expectedVariance = (2 * alpha) / (1 - alpha) ** 2;
    const { mean, variance } = moments(values);
    // Standard error of the mean is √(7.92/20000) ≈ 0.02; 0.1 is five standard errors.
    assert.ok(Math.abs(mean) < 0.1, `mean ${mean}`);
    assert.ok(Math.abs(variance / expectedVariance - 1) < 0.06, `variance ${variance} vs ${expectedVariance}`);
    // P(Z = 0) = (1 − α)/(1 + α) ≈ 0.245
    const zeros = values.filter((v) => v === 0).length / N;
    assert.ok(Math.abs(zeros - (1 - alpha) / (1 + alpha)) < 0.015, `P(0) ${zeros}`);
  });

  it('the same seed gives the same noise; another seed does not', () => {
    const draw = (seed: string): number[] => {
      const random = new SeededUniform(seed);
      return Array.from({ length: 50 }, () => sampleDiscreteLaplace(3, 1, random));
    };
    assert.deepEqual(draw('a'), draw('a'));
    assert.notDeepEqual(draw('a'), draw('b'));
  });

  it('discrete Gaussian noise has mean ≈ 0 and variance σ²', () => {
    const random = new SeededUniform('gauss-seed-11');
    for (const sigmaSquared of [1, 25, 400]) {
      const values = Array.from({ length: N }, () => sampleDiscreteGaussian(sigmaSquared, random));
      const { mean, variance } = moments(values);
      const se = Math.sqrt(sigmaSquared / N);
      assert.ok(Math.abs(mean) < 5 * se, `σ²=${sigmaSquared}: mean ${mean}`);
      // The discrete Gaussian's variance is just below σ² (by less than 0.1% for σ² ≥ 1 … equal in the limit).
      assert.ok(Math.abs(variance / sigmaSquared - 1) < 0.06, `σ²=${sigmaSquared}: variance ${variance}`);
      // Symmetry: as many positive as negative draws (binomial sd ≈ 0.0035 of N).
      const positive = values.filter((v) => v > 0).length;
      const negative = values.filter((v) => v < 0).length;
      assert.ok(Math.abs(positive - negative) / N < 0.025, `σ²=${sigmaSquared}: ${positive} vs ${negative}`);
    }
  });

  it('calibrates the Gaussian through zCDP: ρ + 2√(ρ ln(1/δ)) = ε and σ² = Δ²/(2ρ), rounded up', () => {
    const rho = rhoFor(1, 1e-6);
    assert.ok(Math.abs(rho + 2 * Math.sqrt(rho * Math.log(1e6)) - 1) < 1e-12);
    assert.equal(gaussianSigmaSquared(1, 1, 1e-6), Math.ceil(1 / (2 * rho)));
    assert.equal(gaussianSigmaSquared(3, 1, 1e-6), Math.ceil(9 / (2 * rho)));
    assert.ok(gaussianSigmaSquared(1, 0.1, 1e-6) > gaussianSigmaSquared(1, 1, 1e-6));
  });

  it('uniformBigInt is uniform beyond 2^53', () => {
    const random = new SeededUniform('big');
    const bound = 3n * 2n ** 60n;
    const thirds = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      const value = uniformBigInt(bound, random);
      assert.ok(value >= 0n && value < bound);
      const third = Number(value / 2n ** 60n);
      thirds[third] = (thirds[third] ?? 0) + 1;
    }
    for (const count of thirds) assert.ok(Math.abs(count - 1000) < 120, `thirds ${thirds.join(',')}`);
  });
});

/** Records which mechanism was asked for, with no noise. */
class ZeroNoise implements NoiseSource {
  readonly calls: string[] = [];
  discreteLaplace(t: number, s: number): number {
    this.calls.push(`laplace ${t}/${s}`);
    return 0;
  }
  discreteGaussian(sigmaSquared: number): number {
    this.calls.push(`gaussian ${sigmaSquared}`);
    return 0;
  }
}

describe('releases with the Gaussian mechanism', () => {
  it('counts, histograms, sums and means draw Gaussian noise with the calibrated σ² and report δ', async () => {
    const accountant = new MemoryPrivacyAccountant(10);
    const noise = new ZeroNoise();
    const options = { accountant, epsilon: 1, query: 'q', noise, mechanism: 'gaussian' as const, delta: 1e-6 };
    const count = await releaseCount(10, options);
    assert.equal(count.mechanism, 'discrete-gaussian');
    assert.equal(count.delta, 1e-6);
    assert.equal(count.scale, Math.sqrt(gaussianSigmaSquared(1, 1, 1e-6)));
    await releaseHistogram({ a: 1, b: 2 }, options);
    const sum = await releaseSum([1, 50, 200], { lower: 0, upper: 100, granularity: 1 }, options);
    assert.equal(sum.value, 151, 'clamped to [0, 100] before summing');
    await releaseMean([10, 20], { lower: 0, upper: 100, granularity: 1 }, options);
    assert.deepEqual(noise.calls, [
      `gaussian ${gaussianSigmaSquared(1, 1, 1e-6)}`,
      `gaussian ${gaussianSigmaSquared(1, 1, 1e-6)}`,
      `gaussian ${gaussianSigmaSquared(1, 1, 1e-6)}`,
      `gaussian ${gaussianSigmaSquared(100, 1, 1e-6)}`,
      `gaussian ${gaussianSigmaSquared(100, 0.5, 5e-7)}`,
      `gaussian ${gaussianSigmaSquared(1, 0.5, 5e-7)}`,
    ]);
    assert.equal(accountant.spentMicro, 4_000_000);
  });

  it('refuses an unknown mechanism or a δ out of range before spending', async () => {
    const accountant = new MemoryPrivacyAccountant(1);
    for (const extra of [
      { mechanism: 'cauchy' },
      { mechanism: 'gaussian', delta: 0.01 },
      { mechanism: 'gaussian', delta: 0 },
    ]) {
      await assert.rejects(
        releaseCount(1, { accountant, epsilon: 0.1, query: 'q', ...(extra as object) }),
        (error: unknown) => error instanceof DomainError && error.code === 'INVALID_ARGUMENT',
      );
    }
    assert.equal(accountant.spentMicro, 0);
  });

  it('budget exhaustion refuses the release, leaves the budget unchanged and draws no noise', async () => {
    const accountant = new MemoryPrivacyAccountant(0.3);
    const noise = new ZeroNoise();
    await releaseCount(5, { accountant, epsilon: 0.2, query: 'a', noise, mechanism: 'gaussian' });
    await assert.rejects(
      releaseCount(5, { accountant, epsilon: 0.2, query: 'b', noise }),
      (error: unknown) => error instanceof DomainError && error.code === 'BUDGET_EXHAUSTED',
    );
    assert.equal(accountant.remainingMicro, 100_000);
    assert.equal(noise.calls.length, 1);
  });
});
