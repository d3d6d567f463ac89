import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriesFromRows, sliceByTime, type OhlcvRow } from '@/server/core/candles';
import { createSimulatedMarket } from '@/server/core/market/simulated';
import { createCcxtExchange } from './ccxt-adapter';
import { createLiveFeed, createReplayFeed, createSimulatedFeed, type CandleSource } from './feeds';
import { systemClock } from './rate-limit';
import { fixtureRows } from '@/server/testing/fixtures';
import { BinanceTestServer, binanceApiUrls } from '@/server/testing/exchange/binance-test-server';

// Real Coinbase BTC/USD 1h (2017-07 → 2019-10): one 5-hour outage, on 2017-11-12.
const BTC_1H = fixtureRows('btc-usd-1h');
const H = 3_600_000;

/** A fake clock: sleeping advances time instantly, and every sleep is recorded. */
function fakeClock(startMs: number) {
  const state = { now: startMs, sleeps: [] as number[] };
  return {
    state,
    clock: {
      now: () => state.now,
      sleep: async (ms: number, signal?: AbortSignal) => {
        signal?.throwIfAborted();
        state.sleeps.push(ms);
        state.now += ms;
      },
    },
  };
}

/** In-memory CandleSource over rows (our own interface; the real one reads Postgres). */
function memorySource(rows: OhlcvRow[]): CandleSource & { reads: number } {
  const series = seriesFromRows(rows);
  const source = {
    reads: 0,
    async read(_exchange: string, _symbol: string, _timeframe: string, startMs: number, endMs: number) {
      source.reads++;
      return sliceByTime(series, startMs, endMs);
    },
    async range() {
      return rows.length ? { firstMs: rows[0]![0], lastMs: rows.at(-1)![0] } : null;
    },
  };
  return source;
}

async function collect(iterable: AsyncIterable<OhlcvRow>, max = Infinity): Promise<OhlcvRow[]> {
  const out: OhlcvRow[] = [];
  for await (const row of iterable) {
    out.push(row);
    if (out.length >= max) break;
  }
  return out;
}

describe('replay feed', () => {
  it('plays stored candles from the chosen start at speed 3600 (one 1h candle per second) and ends at the last one', async () => {
    const source = memorySource(BTC_1H);
    const { clock, state } = fakeClock(0);
    const feed = createReplayFeed({ source, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', startMs: BTC_1H[400]![0], speed: 3600, chunkSize: 500, clock });
    const played = await collect(feed.candles());
    expect(played, 'every stored candle from the start, in order, then the iteration ends').toEqual(BTC_1H.slice(400));
    expect(state.sleeps.filter((ms) => ms === 1000).length, 'one second of wall time per candle').toBe(BTC_1H.length - 400 - 1);
    expect(state.sleeps.filter((ms) => ms !== 1000).sort((a, b) => a - b), 'the outage replays as a longer pause (missing+1 seconds)').toEqual([6000]);
    expect(source.reads, 'read in chunks, not all at once').toBeGreaterThan(5);
  });

  it('stops cleanly on abort, mid-stream', async () => {
    const controller = new AbortController();
    const { clock } = fakeClock(0);
    const feed = createReplayFeed({ source: memorySource(BTC_1H), exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', startMs: BTC_1H[0]![0], speed: 3600, clock });
    const got: OhlcvRow[] = [];
    for await (const candle of feed.candles(controller.signal)) {
      got.push(candle);
      if (got.length === 10) controller.abort();
    }
    expect(got.length, 'no candle after the abort, and no error thrown').toBe(10);
  });

  it('an empty source completes at once', async () => {
    const feed = createReplayFeed({ source: memorySource([]), exchange: 'x', symbol: 'A/B', timeframe: '1h', startMs: 0, speed: Infinity });
    expect(await collect(feed.candles()), 'nothing stored, nothing played').toEqual([]);
  });
});

describe('simulated feed', () => {
  const origin = Date.UTC(2024, 0, 1);

  it('accelerated: yields the seeded market candles, each released when it closes on the accelerated clock', async () => {
    const market = createSimulatedMarket({ seed: 9, timeframe: '1m', originMs: origin });
    const { clock, state } = fakeClock(origin + 10 * 60_000 + 30_000);
    const feed = createSimulatedFeed({ market, symbol: 'SIM/USD', speed: 60, endMs: origin + 40 * 60_000, clock });
    const got = await collect(feed.candles());
    expect(got, 'the same candles the market gives for the range; the current candle first').toEqual(
      createSimulatedMarket({ seed: 9, timeframe: '1m', originMs: origin }).candles(origin + 10 * 60_000, origin + 40 * 60_000),
    );
    expect(state.sleeps.every((ms) => ms === 1000), 'speed 60: one 1m candle per wall second').toBe(true);
  });

  it('real time: stops on abort while waiting for a candle to close', async () => {
    const market = createSimulatedMarket({ seed: 1, timeframe: '1h', originMs: origin });
    const controller = new AbortController();
    const feed = createSimulatedFeed({ market, symbol: 'SIM/USD', speed: 1, clock: systemClock });
    setTimeout(() => controller.abort(), 20);
    expect(await collect(feed.candles(controller.signal)), 'the current 1h candle has not closed; abort ends the wait').toEqual([]);
  });
});

describe('live feed against the local Binance server', () => {
  let server: BinanceTestServer;
  const { clock, state } = fakeClock(BTC_1H[1000]![0] + 30 * 60_000);
  beforeAll(async () => {
    server = await new BinanceTestServer({ klines: { BTCUSDT: { '1h': BTC_1H } }, now: () => state.now }).start();
  });
  afterAll(() => server.close());

  it('polls ccxt fetchOHLCV and yields each newly closed candle exactly once, never the forming one', async () => {
    const market = createCcxtExchange({
      exchangeId: 'binance',
      timeoutMs: 2000,
      rateLimit: { perSecond: 1000, perMinute: 100_000 },
      urls: binanceApiUrls(server.baseUrl),
      clock: { now: () => Date.now(), sleep: async () => {} },
    });
    const feed = createLiveFeed({ market, symbol: 'BTC/USDT', timeframe: '1h', pollMs: 10 * 60_000, clock });
    const seenAt: number[] = [];
    const got: OhlcvRow[] = [];
    for await (const candle of feed.candles()) {
      got.push(candle);
      seenAt.push(state.now);
      if (got.length === 5) break;
    }
    expect(got, 'the candles that closed after the start, in order, no duplicates despite 6 polls an hour').toEqual(BTC_1H.slice(1000, 1005));
    expect(got.every((c, i) => c[0] + H <= seenAt[i]!), 'only closed candles').toBe(true);
    expect(server.count('GET', '/api/v3/klines'), 'it really polled the server, several times per candle').toBeGreaterThan(15);
  });

  it('with sinceMs it catches up on closed history first, and stops on abort while waiting', async () => {
    const market = createCcxtExchange({ exchangeId: 'binance', timeoutMs: 2000, rateLimit: { perSecond: 1000, perMinute: 100_000 }, urls: binanceApiUrls(server.baseUrl), clock: { now: () => Date.now(), sleep: async () => {} } });
    const now = state.now;
    const lastClosed = Math.floor(now / H) * H - H;
    const since = lastClosed - 1499 * H;
    const controller = new AbortController();
    const got: OhlcvRow[] = [];
    const feed = createLiveFeed({ market, symbol: 'BTC/USDT', timeframe: '1h', sinceMs: since, pollMs: 60_000, clock });
    for await (const candle of feed.candles(controller.signal)) {
      got.push(candle);
      if (candle[0] === lastClosed) controller.abort();
    }
    const expected = BTC_1H.filter((r) => r[0] >= since && r[0] <= lastClosed);
    expect(got, 'all stored closed candles since sinceMs (across two pages), then the abort ends it').toEqual(expected);
  });
});
