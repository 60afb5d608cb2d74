import { createHash } from 'node:crypto';
import { canonicalJson, DomainError, expectEpsilon, toMicroEpsilon } from '@medledger/core';
import type { BudgetReceipt, PrivacyAccountant } from './accountant.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import { CryptoRandom } from './random.js';

/** Draws integer noise of scale t/s. The default is the exact discrete Laplace sampler on `CryptoRandom`. */
export interface NoiseSource {
  discreteLaplace(scaleNumerator: number, scaleDenominator: number): number;
}

let defaultNoise: NoiseSource | undefined;

/** The production noise source: exact discrete Laplace on node:crypto randomness (one buffered source per process). */
export function cryptoNoise(): NoiseSource {
  if (defaultNoise === undefined) {
    const random = new CryptoRandom();
    defaultNoise = { discreteLaplace: (t, s) => sampleDiscreteLaplace(t, s, random) };
  }
  return defaultNoise;
}

export interface ReleaseOptions {
  readonly accountant: PrivacyAccountant;
  /** The epsilon of this release (0 < ε ≤ 10, at most six decimals). */
  readonly epsilon: number;
  /** What is released (study, cohort, variable…); hashed into the ledger's queryHash. Never PHI. */
  readonly query: unknown;
  /** For tests only; production uses the default crypto noise. */
  readonly noise?: NoiseSource;
}

export interface DpRelease<T> {
  readonly value: T;
  readonly mechanism: 'discrete-laplace';
  readonly epsilon: number;
  /** L1 sensitivity, in the units the noise is drawn in (for sums: grid steps). */
  readonly sensitivity: number;
  /** The noise scale Δ/ε in released units; noise variance 2α/(1−α)², α = e^(−1/scale-in-grid-units). */
  readonly scale: number;
  readonly queryHash: string;
  readonly receipt: BudgetReceipt;
}

export interface SumBounds {
  /** Each person's value is clamped to [lower, upper] before summing (contribution bounding). */
  readonly lower: number;
  readonly upper: number;
  /** Values are rounded to multiples of this grid step so that the mechanism stays integer (e.g. 0.1 for BMI). */
  readonly granularity: number;
}

/** SHA-256 of the canonical JSON of a release description: the `queryHash` of `SpendPrivacyBudget`. */
export function queryHash(description: unknown): string {
  return createHash('sha256').update(canonicalJson(description), 'utf8').digest('hex');
}

interface Grid {
  readonly lower: number;
  readonly upper: number;
  readonly step: number;
}

/** Bounds in whole grid steps. @throws DomainError INVALID_ARGUMENT unless they lie on the grid and lower < upper */
export function gridOf(bounds: SumBounds): Grid {
  const { lower, upper, granularity } = bounds;
  if (!(granularity > 0) || !Number.isFinite(lower) || !Number.isFinite(upper) || !(lower < upper)) {
    throw new DomainError('INVALID_ARGUMENT', 'bounds need lower < upper and a positive granularity');
  }
  const lo = Math.round(lower / granularity);
  const hi = Math.round(upper / granularity);
  if (
    Math.abs(lo * granularity - lower) > 1e-9 * Math.max(1, Math.abs(lower)) ||
    Math.abs(hi * granularity - upper) > 1e-9 * Math.max(1, Math.abs(upper))
  ) {
    throw new DomainError('INVALID_ARGUMENT', 'lower and upper must be multiples of the granularity');
  }
  // Keeps the sampler's rational scale (Δ·10⁶ / micro-ε) far inside exact integer range.
  if (Math.max(Math.abs(lo), Math.abs(hi)) > 1e6) {
    throw new DomainError('INVALID_ARGUMENT', 'bounds too wide for the granularity (at most 10^6 grid steps)');
  }
  return { lower: lo, upper: hi, step: granularity };
}

/** One value clamped into the bounds and rounded to the grid, in grid steps. Non-finite values count as `lower`. */
export function clampToGrid(value: number, grid: Grid): number {
  if (!Number.isFinite(value)) return grid.lower;
  return Math.min(grid.upper, Math.max(grid.lower, Math.round(value / grid.step)));
}

/**
 * The L1 sensitivity of a bounded sum under add/remove-one-person neighbouring (the definition the counts use):
 * one person moves the sum by at most max(|lower|, |upper|) grid steps.
 */
export function sumSensitivity(grid: Grid): number {
  return Math.max(Math.abs(grid.lower), Math.abs(grid.upper), 1);
}

/** Spends first (nothing is computed if the ledger refuses), then returns the micro-epsilon that was spent. */
async function spend(
  options: ReleaseOptions,
  kind: string,
  parameters: unknown,
): Promise<{ micro: number; hash: string; receipt: BudgetReceipt }> {
  const epsilon = expectEpsilon(options.epsilon, 'epsilon');
  const micro = toMicroEpsilon(epsilon);
  const hash = queryHash({ kind, query: options.query, epsilonMicro: micro, parameters });
  const receipt = await options.accountant.spend({ epsilon, queryHash: hash });
  return { micro, hash, receipt };
}

/** Noise of scale Δ/ε with ε = micro/10⁶: t/s = Δ·10⁶ / micro. */
function noiseFor(noise: NoiseSource, sensitivity: number, micro: number): number {
  return noise.discreteLaplace(sensitivity * 1_000_000, micro);
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0)
    throw new DomainError('INVALID_ARGUMENT', 'a count is a non-negative integer');
}

/**
 * A differentially private count of people (each person counted at most once; L1 sensitivity 1) with the two-sided
 * geometric mechanism: ε-DP. The released value is an integer and may be negative; post-process (e.g. max(0, ·))
 * freely.
 */
export async function releaseCount(trueCount: number, options: ReleaseOptions): Promise<DpRelease<number>> {
  checkCount(trueCount);
  const { micro, hash, receipt } = await spend(options, 'count', {});
  const noise = options.noise ?? cryptoNoise();
  return {
    value: trueCount + noiseFor(noise, 1, micro),
    mechanism: 'discrete-laplace',
    epsilon: micro / 1_000_000,
    sensitivity: 1,
    scale: 1_000_000 / micro,
    queryHash: hash,
    receipt,
  };
}

/**
 * A differentially private histogram over disjoint bins (each person in exactly one bin, so one person changes one
 * bin by one: L1 sensitivity 1); every bin gets independent two-sided geometric noise of scale 1/ε. ε-DP in total.
 */
export async function releaseHistogram(
  counts: Readonly<Record<string, number>>,
  options: ReleaseOptions,
): Promise<DpRelease<Record<string, number>>> {
  for (const count of Object.values(counts)) checkCount(count);
  const bins = Object.keys(counts).sort();
  const { micro, hash, receipt } = await spend(options, 'histogram', { bins });
  const noise = options.noise ?? cryptoNoise();
  const value = Object.fromEntries(bins.map((bin) => [bin, (counts[bin] ?? 0) + noiseFor(noise, 1, micro)]));
  return {
    value,
    mechanism: 'discrete-laplace',
    epsilon: micro / 1_000_000,
    sensitivity: 1,
    scale: 1_000_000 / micro,
    queryHash: hash,
    receipt,
  };
}

/**
 * A differentially private bounded sum: each person's value is clamped to [lower, upper] and rounded to the grid,
 * the grid-step sum gets two-sided geometric noise of scale Δ/ε with Δ = max(|lower|, |upper|) steps. ε-DP.
 */
export async function releaseSum(
  values: readonly number[],
  bounds: SumBounds,
  options: ReleaseOptions,
): Promise<DpRelease<number>> {
  const grid = gridOf(bounds);
  const sensitivity = sumSensitivity(grid);
  const { micro, hash, receipt } = await spend(options, 'sum', bounds);
  const noise = options.noise ?? cryptoNoise();
  const sum = values.reduce((total, value) => total + clampToGrid(value, grid), 0);
  return {
    value: (sum + noiseFor(noise, sensitivity, micro)) * grid.step,
    mechanism: 'discrete-laplace',
    epsilon: micro / 1_000_000,
    sensitivity,
    scale: (sensitivity * grid.step * 1_000_000) / micro,
    queryHash: hash,
    receipt,
  };
}

export interface DpMean {
  readonly mean: number;
  readonly noisySum: number;
  readonly noisyCount: number;
}

/**
 * A differentially private mean of bounded values: one spend of ε, split into ⌊ε/2⌋ (micro) for a noisy count and the
 * rest for a noisy bounded sum (basic composition: ε-DP in total). mean = noisySum / max(1, noisyCount), clamped to
 * [lower, upper].
 */
export async function releaseMean(
  values: readonly number[],
  bounds: SumBounds,
  options: ReleaseOptions,
): Promise<DpRelease<DpMean>> {
  const grid = gridOf(bounds);
  const sensitivity = sumSensitivity(grid);
  if (toMicroEpsilon(expectEpsilon(options.epsilon, 'epsilon')) < 2) {
    throw new DomainError('INVALID_ARGUMENT', 'a mean needs at least 2 micro-epsilon');
  }
  const { micro, hash, receipt } = await spend(options, 'mean', bounds);
  const countMicro = Math.floor(micro / 2);
  const sumMicro = micro - countMicro;
  const noise = options.noise ?? cryptoNoise();
  const sum = values.reduce((total, value) => total + clampToGrid(value, grid), 0);
  const noisySum = (sum + noiseFor(noise, sensitivity, sumMicro)) * grid.step;
  const noisyCount = values.length + noiseFor(noise, 1, countMicro);
  const mean = Math.min(bounds.upper, Math.max(bounds.lower, noisySum / Math.max(1, noisyCount)));
  return {
    value: { mean, noisySum, noisyCount },
    mechanism: 'discrete-laplace',
    epsilon: micro / 1_000_000,
    sensitivity,
    scale: (sensitivity * grid.step * 1_000_000) / sumMicro,
    queryHash: hash,
    receipt,
  };
}
