import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

/**
 * Mixes a seed with labels into an independent 32-bit seed. Every random stream of the generator
 * (one per vehicle, sensor, payload) derives its seed from the fleet seed and its own name, so a
 * stream's values never depend on how much another stream consumed.
 */
export function deriveSeed(seed: number, ...labels: readonly (string | number)[]): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (const label of labels) {
    const text = `${String(label)}\u0000`;
    for (let i = 0; i < text.length; i++) {
      hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    }
  }
  // murmur3 finaliser: spreads the FNV bits so that close labels give unrelated seeds
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** A seeded pseudo-random stream (xoroshiro128+) with the distributions the generator needs. */
export class Random {
  readonly #rng: RandomGenerator;
  #spareNormal: number | undefined;

  constructor(seed: number) {
    this.#rng = xoroshiro128plus(seed | 0);
  }

  /** A stream seeded from `seed` and the given labels (see `deriveSeed`). */
  static derive(seed: number, ...labels: readonly (string | number)[]): Random {
    return new Random(deriveSeed(seed, ...labels));
  }

  /** Uniform in [0, 1). */
  float(): number {
    return uniformFloat64(this.#rng);
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError('Random.pick needs a non-empty list');
    return item;
  }

  /** Uniform ±1. */
  sign(): number {
    return this.float() < 0.5 ? -1 : 1;
  }

  /** Standard normal deviate (Marsaglia polar method). */
  normal(): number {
    const spare = this.#spareNormal;
    if (spare !== undefined) {
      this.#spareNormal = undefined;
      return spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.float() * 2 - 1;
      v = this.float() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.#spareNormal = v * factor;
    return u * factor;
  }

  /** Exponential deviate with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Raw 32-bit signed output, for filling noise tables quickly. */
  int32(): number {
    return this.#rng.next();
  }
}
