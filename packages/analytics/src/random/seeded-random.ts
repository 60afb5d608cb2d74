import { createHash } from 'node:crypto';

/**
 * A small, fast, seeded pseudo-random generator (xoshiro128**, state from SHA-256 of the seed) for synthetic data.
 * It is reproducible by design and therefore never used for privacy noise: differential privacy draws from
 * `node:crypto` (see `dp/random.ts`).
 */
export class SeededRandom {
  readonly #s = new Uint32Array(4);

  constructor(seed: string) {
    const digest = createHash('sha256').update(seed, 'utf8').digest();
    for (let i = 0; i < 4; i++) this.#s[i] = digest.readUInt32LE(i * 4);
    // xoshiro's all-zero state is a fixed point; SHA-256 practically never gives it, but guard anyway.
    if (this.#s.every((word) => word === 0)) this.#s[0] = 0x9e3779b9;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const s2 = s[2] as number;
    const s3 = s[3] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = (s2 ^ s0) >>> 0;
    const n3 = (s3 ^ s1) >>> 0;
    s[1] = (s1 ^ n2) >>> 0;
    s[0] = (s0 ^ n3) >>> 0;
    s[2] = (n2 ^ t) >>> 0;
    s[3] = rotl(n3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of resolution. */
  float(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** A uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.float() * bound);
  }

  /** A uniform integer in [min, max] (both included). */
  intBetween(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A normal draw (Box–Muller). */
  normal(mean: number, sd: number): number {
    const u = 1 - this.float(); // (0, 1]
    const v = this.float();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A normal draw clamped to [min, max]. */
  clampedNormal(mean: number, sd: number, min: number, max: number): number {
    return Math.min(max, Math.max(min, this.normal(mean, sd)));
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** One element, with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weightOf: (item: T) => number): T {
    const total = items.reduce((sum, item) => sum + weightOf(item), 0);
    let target = this.float() * total;
    for (const item of items) {
      target -= weightOf(item);
      if (target < 0) return item;
    }
    return items[items.length - 1] as T;
  }

  /** A random (version 4 layout) UUID drawn from this generator, so it is reproducible. */
  uuid(): string {
    const words = [this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32()];
    words[1] = (((words[1] as number) & 0xffff0fff) | 0x00004000) >>> 0; // version 4
    words[2] = (((words[2] as number) & 0x3fffffff) | 0x80000000) >>> 0; // RFC 4122 variant
    const hex = words.map((w) => w.toString(16).padStart(8, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** `length` decimal digits. */
  digits(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += String(this.int(10));
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
