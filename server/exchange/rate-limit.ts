/**
 * Token buckets per exchange and per account, on top of ccxt's own `enableRateLimit` (which only
 * spaces one instance's calls). Ours is shared by every adapter instance in the process, so many
 * deployments on one account or one exchange stay under the configured limits together.
 */
export interface Clock {
  now(): number; // ms
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface RateLimit {
  perSecond: number;
  perMinute: number;
}

class Bucket {
  private tokens: number;
  private updated: number;
  constructor(
    private readonly capacity: number,
    private readonly refillPerMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updated = now;
  }
  private refill(now: number) {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.updated) * this.refillPerMs);
    this.updated = now;
  }
  /** ms until one token is available (0 = now). */
  waitFor(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.refillPerMs);
  }
  take(now: number) {
    this.refill(now);
    this.tokens -= 1;
  }
}

/** Two buckets: `perSecond` burst refilled per second, `perMinute` burst refilled per minute. */
export class TokenBucketLimiter {
  private readonly buckets: Bucket[];
  private queue: Promise<void> = Promise.resolve();
  constructor(
    readonly limit: RateLimit,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(limit.perSecond > 0) || !(limit.perMinute > 0)) throw new RangeError('rate limits must be positive');
    const now = clock.now();
    this.buckets = [new Bucket(limit.perSecond, limit.perSecond / 1000, now), new Bucket(limit.perMinute, limit.perMinute / 60_000, now)];
  }

  /** Resolves when a request may be sent; callers are served in arrival order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        const now = this.clock.now();
        const wait = Math.max(...this.buckets.map((b) => b.waitFor(now)));
        if (wait === 0) {
          for (const bucket of this.buckets) bucket.take(now);
          return;
        }
        await this.clock.sleep(wait, signal);
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}

/** Process-wide limiters, keyed like "exchange:binance" or "account:binance:<id>". */
const limiters = new Map<string, TokenBucketLimiter>();

export function sharedLimiter(key: string, limit: RateLimit, clock: Clock = systemClock): TokenBucketLimiter {
  let limiter = limiters.get(key);
  if (!limiter || limiter.limit.perSecond !== limit.perSecond || limiter.limit.perMinute !== limit.perMinute) {
    limiter = new TokenBucketLimiter(limit, clock);
    limiters.set(key, limiter);
  }
  return limiter;
}
