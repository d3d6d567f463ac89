/**
 * A seeded simulated market: deterministic candles for demos, paper trading without a network, and tests.
 *
 * The price follows a geometric random walk with
 * - a slowly mean-reverting trend (drift per candle),
 * - volatility regimes (calm / normal / turbulent) switching as a Markov chain,
 * - occasional jumps (6 to 12 normal-regime sigmas, either way).
 * Each candle is built from `SUBSTEPS` sub-moves so high/low are real path extremes, then rounded to
 * `priceDecimals`. Everything is drawn from one mulberry32 stream seeded by `seed`, advancing one
 * candle at a time from `originMs`: the candle at time T is the same whatever range is asked for.
 */
import type { OhlcvRow } from '@/server/core/candles';
import { timeframeToMs } from '@/server/core/timeframe';

/** mulberry32: a tiny, fast 32-bit PRNG; same seed → same sequence on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decimal places of the simulated market's amounts (its order book's levels): its lot step is 0.000001. */
export const SIMULATED_AMOUNT_DECIMALS = 6;

export interface SimulatedMarketConfig {
  seed: number;
  timeframe: string;
  /** First candle's open time, ms UTC, aligned to the timeframe. Default 2024-01-01T00:00Z. */
  originMs?: number;
  startPrice?: number;
  /** Annualised volatility of the normal regime (0.6 = 60%). */
  annualVolatility?: number;
  /** Per-candle probability of a jump. */
  jumpProbability?: number;
  priceDecimals?: number;
  /** Mean base volume per candle in the normal regime. */
  baseVolume?: number;
}

export interface SimulatedTicker {
  timeMs: number;
  last: number;
  bid: number;
  ask: number;
}

export interface SimulatedOrderBook {
  timeMs: number;
  /** [price, amount], best first (bids descending, asks ascending). */
  bids: [number, number][];
  asks: [number, number][];
}

export interface SimulatedMarket {
  readonly config: Required<SimulatedMarketConfig>;
  /** Closed candles with open time in [startMs, endMs), ascending. */
  candles(startMs: number, endMs: number): OhlcvRow[];
  /** Ticker around `lastPrice` (typically the last candle's close): bid < last < ask. */
  ticker(lastPrice: number, timeMs: number): SimulatedTicker;
  /** A book around the ticker, `depth` levels a side, deterministic for (price, time). */
  orderBook(lastPrice: number, timeMs: number, depth: number): SimulatedOrderBook;
}

const REGIMES = [
  { name: 'calm', volatility: 0.5, volume: 0.6 },
  { name: 'normal', volatility: 1, volume: 1 },
  { name: 'turbulent', volatility: 2.5, volume: 2.2 },
] as const;
/** Per-candle switch probability out of each regime. */
const REGIME_SWITCH = 0.01;
const SUBSTEPS = 4;
const YEAR_MS = 365 * 86_400_000;

interface WalkState {
  nextTime: number;
  price: number;
  trend: number;
  regime: number;
  random: () => number;
}

export function createSimulatedMarket(input: SimulatedMarketConfig): SimulatedMarket {
  const config: Required<SimulatedMarketConfig> = {
    originMs: Date.UTC(2024, 0, 1),
    startPrice: 50_000,
    annualVolatility: 0.6,
    jumpProbability: 0.003,
    priceDecimals: 2,
    baseVolume: 100,
    ...input,
  };
  const step = timeframeToMs(config.timeframe);
  if (config.originMs % step !== 0) throw new RangeError(`originMs must be aligned to ${config.timeframe}`);
  if (!(config.startPrice > 0)) throw new RangeError('startPrice must be positive');
  const sigma = config.annualVolatility * Math.sqrt(step / YEAR_MS); // per-candle log-return stdev
  const scale = 10 ** config.priceDecimals;
  const round = (price: number) => Math.max(1 / scale, Math.round(price * scale) / scale);

  const fresh = (): WalkState => ({ nextTime: config.originMs, price: config.startPrice, trend: 0, regime: 1, random: mulberry32(config.seed) });
  // A cursor so that sequential calls (a feed) are incremental rather than replaying from the origin.
  let cursor = fresh();

  const gaussian = (random: () => number) => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };

  function nextCandle(s: WalkState): OhlcvRow {
    const r = s.random;
    if (r() < REGIME_SWITCH) s.regime = Math.min(2, Math.max(0, s.regime + (r() < 0.5 ? -1 : 1)));
    else r();
    const regime = REGIMES[s.regime]!;
    // Trend: AR(1) around 0, so bull and bear phases last a while. Its integral adds about half the
    // noise volatility (innovation 0.0025σ over 1 − 0.995), and a weak pull toward the start price
    // keeps years of candles in a plausible band instead of wandering off by orders of magnitude.
    s.trend = 0.995 * s.trend + 0.0025 * sigma * gaussian(r) - 0.00002 * Math.log(s.price / config.startPrice);
    const open = s.price;
    let price = open;
    let high = open;
    let low = open;
    const subSigma = (sigma * regime.volatility) / Math.sqrt(SUBSTEPS);
    for (let k = 0; k < SUBSTEPS; k++) {
      price *= Math.exp(s.trend / SUBSTEPS + subSigma * gaussian(r));
      high = Math.max(high, price);
      low = Math.min(low, price);
    }
    let jumped = false;
    if (r() < config.jumpProbability) {
      price *= Math.exp((r() < 0.5 ? -1 : 1) * (6 + 6 * r()) * sigma);
      high = Math.max(high, price);
      low = Math.min(low, price);
      jumped = true;
    }
    // Wicks beyond the path extremes.
    high *= 1 + Math.abs(gaussian(r)) * subSigma * 0.3;
    low *= 1 - Math.abs(gaussian(r)) * subSigma * 0.3;
    const move = Math.abs(Math.log(price / open)) / Math.max(sigma, 1e-12);
    const volume = config.baseVolume * regime.volume * (0.5 + r()) * (1 + 0.5 * move) * (jumped ? 3 : 1);
    const time = s.nextTime;
    s.nextTime += step;
    s.price = price;
    const [o, c] = [round(open), round(price)];
    return [time, o, Math.max(round(high), o, c), Math.min(round(low), o, c), c, Math.round(volume * 1e6) / 1e6];
  }

  return {
    config,
    candles(startMs, endMs) {
      if (startMs < config.originMs) startMs = config.originMs;
      const first = Math.ceil((startMs - config.originMs) / step) * step + config.originMs;
      if (cursor.nextTime > first) cursor = fresh();
      const rows: OhlcvRow[] = [];
      while (cursor.nextTime < endMs) {
        const candle = nextCandle(cursor);
        if (candle[0] >= first) rows.push(candle);
      }
      return rows;
    },
    ticker(lastPrice, timeMs) {
      const halfSpread = Math.max(1 / scale, round(lastPrice * 0.0001));
      return { timeMs, last: round(lastPrice), bid: round(lastPrice - halfSpread), ask: round(lastPrice + halfSpread) };
    },
    orderBook(lastPrice, timeMs, depth) {
      const { bid, ask } = this.ticker(lastPrice, timeMs);
      const random = mulberry32((config.seed ^ Math.floor(timeMs / 1000)) >>> 0);
      const tick = Math.max(1 / scale, round(lastPrice * 0.00005));
      const amountScale = 10 ** SIMULATED_AMOUNT_DECIMALS;
      const level = (i: number): number => Math.round(config.baseVolume * 0.01 * (1 + i * 0.3) * (0.5 + random()) * amountScale) / amountScale;
      const bids: [number, number][] = [];
      const asks: [number, number][] = [];
      for (let i = 0; i < depth; i++) {
        bids.push([round(bid - i * tick), level(i)]);
        asks.push([round(ask + i * tick), level(i)]);
      }
      return { timeMs, bids, asks };
    },
  };
}
