/**
 * Seeded randomness for the robustness lab (docs/robustness.md, "Seeds"). Each run draws from its own stream, so a
 * result never depends on how runs are split across batches, threads or workers.
 */

/** MurmurHash3's 32-bit finaliser: a bijective mix of a 32-bit integer. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: a small, fast 32-bit generator (period 2³²), plenty for resampling. */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next 32-bit unsigned output. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform integer in [0, bound) (⌊u × bound ÷ 2³²⌋), bound ≤ 2³². */
  below(bound: number): number {
    return Math.floor((this.nextUint32() * bound) / 4294967296);
  }
}

/** The stream of run `run` (0-based) of a request seeded with `seed`: mulberry32(mix32(seed ⊕ mix32(run + 1))). */
export function runStream(seed: number, run: number): Mulberry32 {
  return new Mulberry32(mix32((seed ^ mix32(run + 1)) >>> 0));
}

/** The largest seed a request may give (seeds are 32-bit unsigned integers). */
export const MAX_SEED = 4294967295;
