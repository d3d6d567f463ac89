import { describe, expect, it } from 'vitest';
import { redactSecrets } from './errors';
import { TokenBucketLimiter } from './rate-limit';

function fakeClock() {
  const state = { now: 0, sleeps: [] as number[] };
  return { state, clock: { now: () => state.now, sleep: async (ms: number) => void (state.sleeps.push(ms), (state.now += ms)) } };
}

describe('TokenBucketLimiter', () => {
  it('allows a burst of perSecond, then spaces requests at the refill rate', async () => {
    const { clock, state } = fakeClock();
    const limiter = new TokenBucketLimiter({ perSecond: 5, perMinute: 1000 }, clock);
    for (let i = 0; i < 5; i++) await limiter.acquire();
    expect(state.now, 'the burst passes without waiting').toBe(0);
    await limiter.acquire();
    expect(state.now, 'the 6th waits for one token: 1000/5 ms').toBe(200);
  });

  it('the per-minute bucket caps sustained throughput', async () => {
    const { clock, state } = fakeClock();
    const limiter = new TokenBucketLimiter({ perSecond: 100, perMinute: 10 }, clock);
    for (let i = 0; i < 10; i++) await limiter.acquire();
    expect(state.now, 'ten fit in the minute bucket').toBe(0);
    await limiter.acquire();
    expect(state.now, 'the 11th waits 6 s (60 s / 10)').toBe(6000);
  });

  it('concurrent callers are served in order, each taking one token', async () => {
    const { clock, state } = fakeClock();
    const limiter = new TokenBucketLimiter({ perSecond: 1, perMinute: 1000 }, clock);
    const served: number[] = [];
    await Promise.all([0, 1, 2].map((i) => limiter.acquire().then(() => served.push(i))));
    expect(served, 'FIFO').toEqual([0, 1, 2]);
    expect(state.now, 'two waits of one second').toBe(2000);
  });
});

describe('redactSecrets', () => {
  it('removes api key, secret and signatures from ccxt text', () => {
    const text = 'binance GET http://x/api/v3/account?timestamp=1&signature=abcdef0123 key=MYKEY1234 secret MYSECRET99';
    const out = redactSecrets(text, ['MYKEY1234', 'MYSECRET99', undefined]);
    expect(out, 'nothing secret left').not.toMatch(/MYKEY1234|MYSECRET99|abcdef0123/);
    expect(out, 'the rest stays readable').toMatch(/GET http:\/\/x\/api\/v3\/account\?timestamp=1&signature=\[REDACTED\]/);
  });
});
