import { DomainError } from '@medledger/core';
import type { RandomSource } from './random.js';

/**
 * Exact samplers for the discrete Laplace distribution (the two-sided geometric distribution) with rational scale
 * t/s:  P(Z = z) = (1 − α)/(1 + α) · α^|z|  with  α = exp(−s/t).
 *
 * The algorithms are those of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS
 * 2020), Algorithms 1 and 2: only integer arithmetic and uniform integers, no floating-point logarithms, so the
 * output distribution is exactly the stated one (floating-point Laplace samplers leak through their rounding;
 * Mironov, CCS 2012).
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function checkRational(numerator: number, denominator: number): void {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || numerator < 0 || denominator < 1) {
    throw new DomainError('INVALID_ARGUMENT', 'a rational parameter needs a non-negative integer over a positive one');
  }
}

/** Bernoulli(n/d) exactly. */
export function bernoulli(numerator: number, denominator: number, random: RandomSource): boolean {
  checkRational(numerator, denominator);
  return random.uniformInt(denominator) < numerator;
}

/** Bernoulli(exp(−γ)) for γ = n/d ≥ 0 exactly (CKS Algorithm 1). */
export function bernoulliExpNeg(numerator: number, denominator: number, random: RandomSource): boolean {
  checkRational(numerator, denominator);
  let n = numerator;
  // exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)).
  while (n > denominator) {
    if (!bernoulliExpNegAtMostOne(1, 1, random)) return false;
    n -= denominator;
  }
  return bernoulliExpNegAtMostOne(n, denominator, random);
}

function bernoulliExpNegAtMostOne(numerator: number, denominator: number, random: RandomSource): boolean {
  let k = 1;
  for (;;) {
    if (denominator * k > MAX_SAFE) throw new DomainError('INTERNAL', 'discrete Laplace sampler overflow');
    if (!bernoulli(numerator, denominator * k, random)) return k % 2 === 1;
    k++;
  }
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/**
 * One draw of discrete Laplace noise with scale t/s (CKS Algorithm 2). The variance is 2α/(1 − α)², α = e^(−s/t).
 * @param scaleNumerator - t ≥ 1
 * @param scaleDenominator - s ≥ 1
 */
export function sampleDiscreteLaplace(scaleNumerator: number, scaleDenominator: number, random: RandomSource): number {
  checkRational(scaleNumerator, scaleDenominator);
  if (scaleNumerator < 1) throw new DomainError('INVALID_ARGUMENT', 'the scale must be positive');
  const g = gcd(scaleNumerator, scaleDenominator);
  const t = scaleNumerator / g;
  const s = scaleDenominator / g;
  for (;;) {
    const u = random.uniformInt(t);
    if (!bernoulliExpNeg(u, t, random)) continue;
    let v = 0;
    while (bernoulliExpNeg(1, 1, random)) v++;
    const x = u + t * v; // geometric with parameter e^(−1/t)
    const y = Math.floor(x / s); // geometric with parameter e^(−s/t)
    const negative = bernoulli(1, 2, random);
    if (negative && y === 0) continue; // −0 and +0 would double-count zero
    return negative ? -y : y;
  }
}

/** α = exp(−ε/Δ) of the two-sided geometric mechanism, for analysis and tests. */
export function geometricAlpha(epsilon: number, sensitivity: number): number {
  return Math.exp(-epsilon / sensitivity);
}
