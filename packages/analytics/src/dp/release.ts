import { createHash } from 'node:crypto';
import { canonicalJson, DomainError, expectDelta, expectEpsilon, toMicroEpsilon } from '@medledger/core';
import type { BudgetReceipt, PrivacyAccountant } from './accountant.js';
import { gaussianSigmaSquared, sampleDiscreteGaussian } from './discrete-gaussian.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import { CryptoRandom } from './random.js';
import type { RandomSource } from './random.js';

/** Draws integer noise: discrete Laplace of scale t/s, or discrete Gaussian of integer variance parameter σ². */
export interface NoiseSource {
  discreteLaplace(scaleNumerator: number, scaleDenominator: number): number;
  discreteGaussian(sigmaSquared: number): number;
}

/** The exact samplers over any uniform source (a seeded one in statistical tests, `CryptoRandom` in production). */
export function noiseFrom(random: RandomSource): NoiseSource {
  return {
    discreteLaplace: (t, s) => sampleDiscreteLaplace(t, s, random),
    discreteGaussian: (sigmaSquared) => sampleDiscreteGaussian(sigmaSquared, random),
  };
}

let defaultNoise: NoiseSource | undefined;

/** The production noise source: exact samplers on node:crypto randomness (one buffered source per process). */
export function cryptoNoise(): NoiseSource {
  defaultNoise ??= noiseFrom(new CryptoRandom());
  return defaultNoise;
}

/** The noise distribution of a release. */
export type Mechanism = 'laplace' | 'gaussian';

/** δ of a Gaussian release unless the caller sets one. */
export const DEFAULT_DELTA = 1e-6;
export { MAX_DELTA } from '@medledger/core';

export interface ReleaseOptions {
  readonly accountant: PrivacyAccountant;
  /** The epsilon of this release (0 < ε ≤ 10, at most six decimals). */
  readonly epsilon: number;
  /** What is released (study, cohort, variable…); hashed into the ledger's queryHash. Never PHI. */
  readonly query: unknown;
  /** `laplace` (default, pure ε-DP) or `gaussian` ((ε, δ)-DP through zCDP). */
  readonly mechanism?: Mechanism;
  /** δ of the Gaussian mechanism, in (0, MAX_DELTA]; default DEFAULT_DELTA. Ignored by Laplace. */
  readonly delta?: number;
  /** For tests only; production uses the default crypto noise. */
  readonly noise?: NoiseSource;
}

export interface DpRelease<T> {
  readonly value: T;
  readonly mechanism: 'discrete-laplace' | 'discrete-gaussian';
  readonly epsilon: number;
  /** δ of a Gaussian release; 0 for Laplace. */
  readonly delta: number;
  /** L1 (Laplace) or L2 (Gaussian) sensitivity, in the units the noise is drawn in (for sums: grid steps). */
  readonly sensitivity: number;
  /**
   * In released units: the Laplace scale Δ/ε (noise variance 2α/(1−α)², α = e^(−1/scale-in-grid-units)), or the
   * Gaussian σ (noise variance at most σ²).
   */
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

interface Plan {
  readonly mechanism: Mechanism;
  readonly delta: number;
}

function planOf(options: Pick<ReleaseOptions, 'mechanism' | 'delta'>): Plan {
  const mechanism: unknown = options.mechanism ?? 'laplace';
  if (mechanism !== 'laplace' && mechanism !== 'gaussian') {
    throw new DomainError('INVALID_ARGUMENT', 'mechanism must be laplace or gaussian');
  }
  if (mechanism === 'laplace') return { mechanism, delta: 0 };
  // The same δ rule as the ledger's δ budget: (0, MAX_DELTA], whole multiples of 10⁻¹².
  return { mechanism, delta: expectDelta(options.delta ?? DEFAULT_DELTA, 'delta') };
}

/**
 * Checks a release's parameters without spending anything, so that a caller can refuse a bad request before it draws
 * a cohort (and writes its audit events). The release functions check the same again.
 * @throws DomainError INVALID_ARGUMENT
 */
export function checkRelease(
  options: Pick<ReleaseOptions, 'epsilon' | 'mechanism' | 'delta'>,
  shape: { readonly bounds?: SumBounds; readonly mean?: boolean } = {},
): void {
  const micro = toMicroEpsilon(expectEpsilon(options.epsilon, 'epsilon'));
  planOf(options);
  if (shape.bounds !== undefined) gridOf(shape.bounds);
  if (shape.mean === true && micro < 2)
    throw new DomainError('INVALID_ARGUMENT', 'a mean needs at least 2 micro-epsilon');
}

interface Spent {
  readonly micro: number;
  readonly hash: string;
  readonly receipt: BudgetReceipt;
  readonly plan: Plan;
  readonly noise: NoiseSource;
}

/** Spends first (nothing is computed if the ledger refuses), then returns the micro-epsilon that was spent. */
async function spend(options: ReleaseOptions, kind: string, parameters: unknown): Promise<Spent> {
  const epsilon = expectEpsilon(options.epsilon, 'epsilon');
  const plan = planOf(options);
  const micro = toMicroEpsilon(epsilon);
  const hash = queryHash({
    kind,
    query: options.query,
    epsilonMicro: micro,
    parameters,
    ...(plan.mechanism === 'gaussian' ? { mechanism: 'gaussian', delta: plan.delta } : {}),
  });
  const receipt = await options.accountant.spend({
    epsilon,
    ...(plan.mechanism === 'gaussian' ? { delta: plan.delta } : {}),
    queryHash: hash,
  });
  return { micro, hash, receipt, plan, noise: options.noise ?? cryptoNoise() };
}

/** Laplace: scale Δ/ε with ε = micro/10⁶, i.e. t/s = Δ·10⁶ / micro. Gaussian: σ² for Δ₂ = Δ at (ε, δ). */
function noiseFor(spent: Spent, sensitivity: number, micro: number = spent.micro, share = 1): number {
  if (spent.plan.mechanism === 'laplace') return spent.noise.discreteLaplace(sensitivity * 1_000_000, micro);
  return spent.noise.discreteGaussian(gaussianSigmaSquared(sensitivity, micro / 1_000_000, spent.plan.delta * share));
}

/** The noise scale in grid units: Δ/ε (Laplace) or σ (Gaussian). */
function scaleOf(spent: Spent, sensitivity: number, micro: number = spent.micro, share = 1): number {
  if (spent.plan.mechanism === 'laplace') return (sensitivity * 1_000_000) / micro;
  return Math.sqrt(gaussianSigmaSquared(sensitivity, micro / 1_000_000, spent.plan.delta * share));
}

function describe(spent: Spent): { mechanism: DpRelease<unknown>['mechanism']; epsilon: number; delta: number } {
  return {
    mechanism: spent.plan.mechanism === 'laplace' ? 'discrete-laplace' : 'discrete-gaussian',
    epsilon: spent.micro / 1_000_000,
    delta: spent.plan.delta,
  };
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0)
    throw new DomainError('INVALID_ARGUMENT', 'a count is a non-negative integer');
}

/**
 * A differentially private count of people (each person counted at most once; sensitivity 1). Laplace: the two-sided
 * geometric mechanism, ε-DP. Gaussian: the discrete Gaussian, (ε, δ)-DP. The released value is an integer and may be
 * negative; post-process (e.g. max(0, ·)) freely.
 */
export async function releaseCount(trueCount: number, options: ReleaseOptions): Promise<DpRelease<number>> {
  checkCount(trueCount);
  const spent = await spend(options, 'count', {});
  return {
    value: trueCount + noiseFor(spent, 1),
    ...describe(spent),
    sensitivity: 1,
    scale: scaleOf(spent, 1),
    queryHash: spent.hash,
    receipt: spent.receipt,
  };
}

/**
 * A differentially private histogram over disjoint bins (each person in exactly one bin, so one person changes one
 * bin by one: L1 and L2 sensitivity 1); every bin gets independent noise. ε-DP (Laplace) or (ε, δ)-DP (Gaussian) in
 * total.
 */
export async function releaseHistogram(
  counts: Readonly<Record<string, number>>,
  options: ReleaseOptions,
): Promise<DpRelease<Record<string, number>>> {
  for (const count of Object.values(counts)) checkCount(count);
  const bins = Object.keys(counts).sort();
  const spent = await spend(options, 'histogram', { bins });
  const value = Object.fromEntries(bins.map((bin) => [bin, (counts[bin] ?? 0) + noiseFor(spent, 1)]));
  return {
    value,
    ...describe(spent),
    sensitivity: 1,
    scale: scaleOf(spent, 1),
    queryHash: spent.hash,
    receipt: spent.receipt,
  };
}

/**
 * A differentially private bounded sum: each person's value is clamped to [lower, upper] and rounded to the grid
 * (contribution bounding); the grid-step sum gets noise for sensitivity Δ = max(|lower|, |upper|) steps.
 */
export async function releaseSum(
  values: readonly number[],
  bounds: SumBounds,
  options: ReleaseOptions,
): Promise<DpRelease<number>> {
  const grid = gridOf(bounds);
  const sensitivity = sumSensitivity(grid);
  const spent = await spend(options, 'sum', bounds);
  const sum = values.reduce((total, value) => total + clampToGrid(value, grid), 0);
  return {
    value: (sum + noiseFor(spent, sensitivity)) * grid.step,
    ...describe(spent),
    sensitivity,
    scale: scaleOf(spent, sensitivity) * grid.step,
    queryHash: spent.hash,
    receipt: spent.receipt,
  };
}

export interface DpMean {
  readonly mean: number;
  readonly noisySum: number;
  readonly noisyCount: number;
}

/**
 * A differentially private mean of bounded values: one spend of ε, split into ⌊ε/2⌋ (micro) for a noisy count and the
 * rest for a noisy bounded sum (basic composition, δ split in halves for Gaussian): ε-DP (or (ε, δ)-DP) in total.
 * mean = noisySum / max(1, noisyCount), clamped to [lower, upper].
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
  const spent = await spend(options, 'mean', bounds);
  const countMicro = Math.floor(spent.micro / 2);
  const sumMicro = spent.micro - countMicro;
  const sum = values.reduce((total, value) => total + clampToGrid(value, grid), 0);
  const noisySum = (sum + noiseFor(spent, sensitivity, sumMicro, 0.5)) * grid.step;
  const noisyCount = values.length + noiseFor(spent, 1, countMicro, 0.5);
  const mean = Math.min(bounds.upper, Math.max(bounds.lower, noisySum / Math.max(1, noisyCount)));
  return {
    value: { mean, noisySum, noisyCount },
    ...describe(spent),
    sensitivity,
    scale: scaleOf(spent, sensitivity, sumMicro, 0.5) * grid.step,
    queryHash: spent.hash,
    receipt: spent.receipt,
  };
}
