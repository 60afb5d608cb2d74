import { randomFillSync } from 'node:crypto';
import { DomainError } from '@medledger/core';

/** Uniform random integers for the DP samplers. Production code uses `CryptoRandom`; tests may count draws. */
export interface RandomSource {
  /** A uniform integer in [0, bound), for 1 ≤ bound ≤ 2^53. */
  uniformInt(bound: number): number;
}

const TWO_32 = 4_294_967_296;
const TWO_53 = 9_007_199_254_740_992;

/**
 * Uniform integers from the operating system's CSPRNG (`crypto.randomFillSync`), buffered, with exact rejection
 * sampling (no modulo bias, no floating point).
 */
export class CryptoRandom implements RandomSource {
  readonly #buffer = new Uint32Array(1024);
  #next = this.#buffer.length;

  #word(): number {
    if (this.#next === this.#buffer.length) {
      randomFillSync(this.#buffer);
      this.#next = 0;
    }
    return this.#buffer[this.#next++] as number;
  }

  uniformInt(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound < 1 || bound > TWO_53) {
      throw new DomainError('INVALID_ARGUMENT', 'uniformInt needs an integer bound in [1, 2^53]');
    }
    if (bound <= TWO_32) {
      // Accept only words below the largest multiple of bound, so every residue is equally likely.
      const limit = TWO_32 - (TWO_32 % bound);
      for (;;) {
        const word = this.#word();
        if (word < limit) return word % bound;
      }
    }
    const limit = TWO_53 - (TWO_53 % bound);
    for (;;) {
      const value = (this.#word() & 0x1fffff) * TWO_32 + this.#word(); // 21 + 32 = 53 bits
      if (value < limit) return value % bound;
    }
  }
}
