import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BudgetReceipt, BudgetSpend, PrivacyAccountant } from './accountant.js';
import { MemoryPrivacyAccountant } from './accountant.js';
import type { NoiseSource } from './release.js';
import {
  clampToGrid,
  gridOf,
  queryHash,
  releaseCount,
  releaseHistogram,
  releaseMean,
  releaseSum,
  sumSensitivity,
} from './release.js';

/** No noise, but every requested scale recorded: exact tests of clamping and sensitivity. */
class RecordingNoise implements NoiseSource {
  readonly scales: Array<[number, number]> = [];
  discreteLaplace(t: number, s: number): number {
    this.scales.push([t, s]);
    return 0;
  }
  discreteGaussian(sigmaSquared: number): number {
    this.scales.push([sigmaSquared, 0]);
    return 0;
  }
}

/** Approves every spend: for statistical tests that release many times. */
class UnlimitedAccountant implements PrivacyAccountant {
  spends = 0;
  spend(request: BudgetSpend): Promise<BudgetReceipt> {
    this.spends++;
    return Promise.resolve({
      spentMicro: Math.round(request.epsilon * 1e6),
      remainingMicro: 1,
      deltaSpentPico: Math.round((request.delta ?? 0) * 1e12),
      deltaRemainingPico: 1,
      queryHash: request.queryHash,
    });
  }
}

const query = { study: 'st-000000000000000000000001', variable: 'bmi' };

describe('differentially private releases', () => {
  it('clamps each value to the bounds on the grid and uses sensitivity max(|lower|, |upper|) steps', async () => {
    const grid = gridOf({ lower: 10, upper: 60, granularity: 0.1 });
    assert.deepEqual(grid, { lower: 100, upper: 600, step: 0.1 });
    assert.equal(sumSensitivity(grid), 600);
    assert.equal(clampToGrid(5, grid), 100);
    assert.equal(clampToGrid(75.04, grid), 600);
    assert.equal(clampToGrid(27.34, grid), 273);
    assert.equal(clampToGrid(Number.NaN, grid), 100);
    assert.equal(sumSensitivity(gridOf({ lower: -5, upper: 2, granularity: 1 })), 5);

    const noise = new RecordingNoise();
    const accountant = new MemoryPrivacyAccountant(2);
    const release = await releaseSum(
      [5, 27.34, 75.04, 30],
      { lower: 10, upper: 60, granularity: 0.1 },
      {
        accountant,
        epsilon: 0.5,
        query,
        noise,
      },
    );
    assert.ok(Math.abs(release.value - (10 + 27.3 + 60 + 30)) < 1e-9, `clamped sum ${release.value}`);
    assert.equal(release.sensitivity, 600);
    assert.deepEqual(noise.scales, [[600 * 1_000_000, 500_000]], 'noise scale Δ/ε = 600 steps / 0.5');
    assert.ok(Math.abs(release.scale - 120) < 1e-9, 'scale in released units: 600 × 0.1 / 0.5');
    assert.equal(accountant.remainingMicro, 1_500_000);
  });

  it('counts with sensitivity 1 and scale 1/ε', async () => {
    const noise = new RecordingNoise();
    const release = await releaseCount(42, { accountant: new MemoryPrivacyAccountant(1), epsilon: 0.25, query, noise });
    assert.equal(release.value, 42);
    assert.equal(release.sensitivity, 1);
    assert.equal(release.scale, 4);
    assert.deepEqual(noise.scales, [[1_000_000, 250_000]]);
    assert.equal(release.receipt.spentMicro, 250_000);
    await assert.rejects(releaseCount(-1, { accountant: new MemoryPrivacyAccountant(1), epsilon: 1, query, noise }), {
      code: 'INVALID_ARGUMENT',
    });
  });

  it('gives each histogram bin its own noise of scale 1/ε for one spend', async () => {
    const noise = new RecordingNoise();
    const accountant = new MemoryPrivacyAccountant(1);
    const release = await releaseHistogram(
      { '65+': 3, '18-39': 10, '40-64': 7 },
      { accountant, epsilon: 1, query, noise },
    );
    assert.deepEqual(release.value, { '18-39': 10, '40-64': 7, '65+': 3 });
    assert.equal(noise.scales.length, 3);
    assert.equal(accountant.remainingMicro, 0);
  });

  it('splits a mean’s epsilon between a noisy count and a noisy sum, spending once', async () => {
    const noise = new RecordingNoise();
    const accountant = new MemoryPrivacyAccountant(1);
    const release = await releaseMean(
      [1, 2, 3, 100],
      { lower: 0, upper: 10, granularity: 1 },
      {
        accountant,
        epsilon: 0.000003,
        query,
        noise,
      },
    );
    assert.deepEqual(release.value, { mean: 4, noisySum: 16, noisyCount: 4 });
    assert.deepEqual(noise.scales, [
      [10_000_000, 2],
      [1_000_000, 1],
    ]);
    assert.equal(accountant.spentMicro, 3);
    await assert.rejects(
      releaseMean([1], { lower: 0, upper: 1, granularity: 1 }, { accountant, epsilon: 0.000001, query, noise }),
      { code: 'INVALID_ARGUMENT' },
    );
    assert.equal(accountant.spentMicro, 3, 'refused before spending');
  });

  it('spends before computing: an exhausted budget releases nothing and leaves the budget unchanged', async () => {
    const noise = new RecordingNoise();
    const accountant = new MemoryPrivacyAccountant(0.3);
    await releaseCount(5, { accountant, epsilon: 0.3, query, noise });
    await assert.rejects(releaseCount(5, { accountant, epsilon: 0.1, query, noise }), { code: 'BUDGET_EXHAUSTED' });
    await assert.rejects(
      releaseSum([1], { lower: 0, upper: 1, granularity: 1 }, { accountant, epsilon: 0.1, query, noise }),
      {
        code: 'BUDGET_EXHAUSTED',
      },
    );
    assert.equal(noise.scales.length, 1, 'no noise drawn for refused releases');
    assert.equal(accountant.remainingMicro, 0);
  });

  it('hashes the release description into the ledger queryHash', async () => {
    const accountant = new UnlimitedAccountant();
    const noise = new RecordingNoise();
    const a = await releaseCount(1, { accountant, epsilon: 1, query, noise });
    const b = await releaseCount(1, { accountant, epsilon: 1, query: { ...query }, noise });
    const c = await releaseCount(1, { accountant, epsilon: 0.5, query, noise });
    assert.match(a.queryHash, /^[0-9a-f]{64}$/);
    assert.equal(a.queryHash, b.queryHash, 'canonical JSON: same description, same hash');
    assert.notEqual(a.queryHash, c.queryHash);
    assert.equal(queryHash({ b: 1, a: 2 }), queryHash({ a: 2, b: 1 }));
  });

  it('refuses bounds off the grid or too wide for exact noise', () => {
    assert.throws(() => gridOf({ lower: 0, upper: 1.05, granularity: 0.1 }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => gridOf({ lower: 1, upper: 1, granularity: 1 }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => gridOf({ lower: 0, upper: 1e7, granularity: 1 }), { code: 'INVALID_ARGUMENT' });
  });

  // Statistical: the noise of real releases (node:crypto) follows the two-sided geometric law of scale 1/ε.
  // Hoeffding per event with N = 100,000 and tolerance 0.01: 2·e^−20 ≈ 4e−9 — so 0.015 is used: 2·e^−45 ≈ 6e−20.
  it('adds noise distributed as the two-sided geometric mechanism (statistical, crypto randomness)', async () => {
    const accountant = new UnlimitedAccountant();
    const n = 100_000;
    const epsilon = 0.5;
    const alpha = Math.exp(-epsilon);
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const { value } = await releaseCount(1000, { accountant, epsilon, query });
      counts.set(value - 1000, (counts.get(value - 1000) ?? 0) + 1);
    }
    assert.equal(accountant.spends, n);
    for (let z = -3; z <= 3; z++) {
      const expected = ((1 - alpha) / (1 + alpha)) * alpha ** Math.abs(z);
      const observed = (counts.get(z) ?? 0) / n;
      assert.ok(Math.abs(observed - expected) < 0.015, `P(noise=${z}) ${observed} vs ${expected}`);
    }
  });
});
