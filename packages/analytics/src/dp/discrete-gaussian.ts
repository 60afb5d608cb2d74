import { DomainError } from '@medledger/core';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import type { RandomSource } from './random.js';

/**
 * The exact discrete Gaussian sampler of Canonne, Kamath and Steinke (NeurIPS 2020), Algorithm 3, for an integer
 * variance parameter σ²: P(Z = z) ∝ exp(−z²/(2σ²)). Rejection from a discrete Laplace of scale t = ⌊σ⌋ + 1, accepted
 * with probability exp(−(|Y| − σ²/t)²/(2σ²)); that Bernoulli is evaluated exactly in BigInt arithmetic (the
 * numerator and denominator outgrow 2^53 for large σ).
 */

const TWO_32 = 4_294_967_296n;

/** A uniform BigInt in [0, bound) from 32-bit words, by rejection (no modulo bias). */
export function uniformBigInt(bound: bigint, random: RandomSource): bigint {
  if (bound < 1n) throw new DomainError('INVALID_ARGUMENT', 'uniformBigInt needs a positive bound');
  if (bound <= 9_007_199_254_740_992n) return BigInt(random.uniformInt(Number(bound)));
  let words = 0;
  let span = 1n;
  while (span < bound) {
    span *= TWO_32;
    words++;
  }
  const limit = span - (span % bound);
  for (;;) {
    let value = 0n;
    for (let i = 0; i < words; i++) value = value * TWO_32 + BigInt(random.uniformInt(4_294_967_296));
    if (value < limit) return value % bound;
  }
}

function bernoulliBig(numerator: bigint, denominator: bigint, random: RandomSource): boolean {
  return uniformBigInt(denominator, random) < numerator;
}

/** Bernoulli(exp(−n/d)) for n/d ≥ 0, exactly (CKS Algorithm 1 in BigInt). */
export function bernoulliExpNegBig(numerator: bigint, denominator: bigint, random: RandomSource): boolean {
  if (numerator < 0n || denominator < 1n) throw new DomainError('INVALID_ARGUMENT', 'γ must be n/d ≥ 0 with d ≥ 1');
  let n = numerator;
  while (n > denominator) {
    if (!atMostOne(1n, 1n, random)) return false;
    n -= denominator;
  }
  return atMostOne(n, denominator, random);
}

function atMostOne(numerator: bigint, denominator: bigint, random: RandomSource): boolean {
  let k = 1n;
  for (;;) {
    if (!bernoulliBig(numerator, denominator * k, random)) return k % 2n === 1n;
    k++;
  }
}

function isqrt(value: bigint): bigint {
  if (value < 2n) return value;
  let x = BigInt(Math.floor(Math.sqrt(Number(value))));
  while (x * x > value) x--;
  while ((x + 1n) * (x + 1n) <= value) x++;
  return x;
}

/**
 * One draw of discrete Gaussian noise with variance parameter σ² (a positive integer; round σ² up to keep the
 * privacy guarantee). Its variance is at most σ².
 */
export function sampleDiscreteGaussian(sigmaSquared: number, random: RandomSource): number {
  if (!Number.isSafeInteger(sigmaSquared) || sigmaSquared < 1 || sigmaSquared > 1e14) {
    throw new DomainError('INVALID_ARGUMENT', 'σ² must be an integer in [1, 10^14]');
  }
  const s2 = BigInt(sigmaSquared);
  const t = isqrt(s2) + 1n;
  for (;;) {
    const y = sampleDiscreteLaplace(Number(t), 1, random);
    const absY = BigInt(Math.abs(y));
    // γ = (|Y| − σ²/t)² / (2σ²) = (|Y|·t − σ²)² / (2·σ²·t²)
    const diff = absY * t - s2;
    if (bernoulliExpNegBig(diff * diff, 2n * s2 * t * t, random)) return y;
  }
}

/**
 * The zCDP parameter ρ that gives (ε, δ)-DP through ρ + 2√(ρ·ln(1/δ)) ≤ ε (Bun and Steinke 2016, Prop. 1.3):
 * √ρ = √(ln(1/δ) + ε) − √(ln(1/δ)).
 */
export function rhoFor(epsilon: number, delta: number): number {
  if (!(epsilon > 0) || !(delta > 0 && delta < 1)) throw new DomainError('INVALID_ARGUMENT', 'need ε > 0, 0 < δ < 1');
  const log = Math.log(1 / delta);
  const root = Math.sqrt(log + epsilon) - Math.sqrt(log);
  return root * root;
}

/**
 * σ² for L2 sensitivity Δ₂ at (ε, δ): the discrete Gaussian with σ² = Δ₂²/(2ρ) is ρ-zCDP (CKS Theorem 14), hence
 * (ε, δ)-DP. Rounded up to an integer: more noise never weakens the guarantee.
 */
export function gaussianSigmaSquared(l2Sensitivity: number, epsilon: number, delta: number): number {
  return Math.max(1, Math.ceil((l2Sensitivity * l2Sensitivity) / (2 * rhoFor(epsilon, delta))));
}
