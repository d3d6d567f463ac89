/**
 * What the Markets page shows for (exchange, symbol, timeframe): candles, ticker and order book.
 *
 * Candles come from, in order: the stored candles when the series has any; the exchange (ccxt) when it
 * answers; otherwise the seeded simulated market. Ticker and order book come from the exchange when it
 * answers, otherwise from the simulated market around the last close. Every part says where it came
 * from (`source`), and the page labels simulated data as such.
 *
 * An unreachable exchange is not asked again for UNREACHABLE_BACKOFF_MS, so an offline machine serves
 * the simulated view at once instead of waiting on the network on every poll. A market that does not
 * exist (the exchange does not list it; offline: nothing stored and no simulated market) is NOT_FOUND
 * "unknown market" rather than a simulated chart (assertKnownMarket).
 */
import type { DbOrTx } from '@/db/client';
import type { OhlcvRow } from '@/server/core/candles';
import { AppError } from '@/server/core/errors';
import { timeframeToMs } from '@/server/core/timeframe';
import { isExchangeError } from '@/server/exchange/errors';
import { logger } from '@/server/logger';
import { candleRange, hasStoredMarket, readCandleSeries, type SeriesKey } from './candles';
import { enabledExchanges, isUnreachable, marketDataExchange } from './exchange';
import { assertSeriesKey, SIMULATED_EXCHANGE } from './series-key';
import { simulatedMarketFor, simulatedPriceTick, START_PRICES } from './simulated-view';

export { isSimulatedBase, simulatedMarketFor, simulatedPriceTick } from './simulated-view';

export type CandleSourceKind = 'stored' | 'live' | 'simulated';
export type QuoteSourceKind = 'live' | 'simulated';

export interface MarketTicker {
  last: number;
  bid: number | null;
  ask: number | null;
  /** Percent change of the last price against the price 24 h earlier; null when unknown. */
  change24hPct: number | null;
  timeMs: number;
}

export interface MarketSnapshot extends SeriesKey {
  candleSource: CandleSourceKind;
  /** [timeMs, open, high, low, close, volume], ascending, closed candles. */
  candles: OhlcvRow[];
  quoteSource: QuoteSourceKind;
  ticker: MarketTicker | null;
  /** [price, amount], best first. */
  orderBook: { bids: [number, number][]; asks: [number, number][] } | null;
  /** The market's price tick as a decimal ("0.01"): the exchange's when it answered, the simulated market's when quotes are simulated; null when unknown. */
  priceTick: string | null;
  /** Why a fallback was used, for the page to show. */
  notice: string | null;
  generatedAtMs: number;
}

export const MAX_VIEW_CANDLES = 500;
const DAY_MS = 86_400_000;
const UNREACHABLE_BACKOFF_MS = 60_000;
const unreachableUntil = new Map<string, number>();

function exchangeAvailable(exchangeId: string, now: number): boolean {
  return exchangeId !== SIMULATED_EXCHANGE && (unreachableUntil.get(exchangeId) ?? 0) <= now;
}

/**
 * What the page says about a failed exchange call. Only an unreachable exchange is left alone for a
 * while; a refusal (e.g. a symbol it does not list) concerns this symbol, not the exchange.
 */
function exchangeFailure(key: SeriesKey, error: unknown, now: number): string {
  const message = error instanceof Error ? error.message.slice(0, 200) : String(error);
  if (isUnreachable(error)) {
    unreachableUntil.set(key.exchange, now + UNREACHABLE_BACKOFF_MS);
    logger.info({ exchangeId: key.exchange, err: message }, 'exchange unreachable; serving fallback market data');
    return `${key.exchange} is unreachable`;
  }
  logger.info({ exchangeId: key.exchange, symbol: key.symbol, err: message }, 'exchange refused a market-data request; serving fallback market data');
  return isExchangeError(error) && error.kind === 'rejected' ? `${key.exchange} refused ${key.symbol}` : `${key.exchange} failed`;
}

function change24h(candles: readonly OhlcvRow[], last: number, step: number): number | null {
  const lastCandle = candles[candles.length - 1];
  if (!lastCandle) return null;
  const target = lastCandle[0] + step - DAY_MS; // the price 24 h before the last close
  for (const candle of candles) {
    if (candle[0] >= target) {
      if (candle[0] - target >= step) return null; // the series does not reach back 24 h
      return candle[1] > 0 ? ((last - candle[1]) / candle[1]) * 100 : null;
    }
  }
  return null;
}

/**
 * A market without stored candles must exist before anything is charted for it (seen: a made-up FOO/BAR
 * shown with a simulated "−17.42 % 24h"): the exchange must list it; when the exchange cannot be asked
 * (the simulated one, or unreachable), it must be stored under another timeframe or be one of the
 * simulated market's known bases. Otherwise NOT_FOUND "unknown market".
 */
export async function assertKnownMarket(db: DbOrTx, key: SeriesKey, nowMs: number): Promise<void> {
  const unknown = (where: string) => new AppError('NOT_FOUND', `unknown market: ${key.symbol} ${where}`, { reason: 'unknown_market' });
  if (exchangeAvailable(key.exchange, nowMs)) {
    try {
      await marketDataExchange(key.exchange, { quick: true }).market(key.symbol);
      return;
    } catch (error) {
      if (isExchangeError(error) && error.kind === 'rejected') throw unknown(`is not listed on ${key.exchange}`);
      exchangeFailure(key, error, nowMs); // unreachable: judged below as offline
    }
  }
  if (await hasStoredMarket(db, key)) return;
  const [base, quote] = key.symbol.split('/');
  if (base && START_PRICES[base] !== undefined && quote && SIMULATED_QUOTES.has(quote)) return;
  throw unknown(key.exchange === SIMULATED_EXCHANGE ? 'has no simulated market' : `is not stored and ${key.exchange} cannot be asked`);
}

const SIMULATED_QUOTES = new Set(['USDT', 'USD', 'USDC']);

/** At most this many symbols are listed for a picker (an exchange lists thousands). */
export const MAX_LISTED_SYMBOLS = 3_000;

/**
 * The markets an exchange lists (active spot symbols, sorted, USDT and USD quotes first), for the
 * strategy form's picker; the simulated exchange lists its known bases against USDT. `available:
 * false` when the exchange cannot be asked right now (the form then takes a typed symbol).
 */
export async function listExchangeSymbols(exchangeId: string, nowMs = Date.now()): Promise<{ exchange: string; symbols: string[]; available: boolean }> {
  if (exchangeId === SIMULATED_EXCHANGE) return { exchange: exchangeId, symbols: Object.keys(START_PRICES).map((base) => `${base}/USDT`), available: true };
  if (!enabledExchanges().exchanges.includes(exchangeId))
    throw AppError.validation([{ field: 'exchange', message: `"${exchangeId}" is not an enabled exchange` }]);
  if (!exchangeAvailable(exchangeId, nowMs)) return { exchange: exchangeId, symbols: [], available: false };
  try {
    const markets = await marketDataExchange(exchangeId, { quick: true }).loadMarkets();
    const rank = (symbol: string) => (symbol.endsWith('/USDT') ? 0 : symbol.endsWith('/USD') ? 1 : 2);
    const symbols = Object.values(markets)
      .filter((m) => m.active && !m.symbol.includes(':'))
      .map((m) => m.symbol)
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
      .slice(0, MAX_LISTED_SYMBOLS);
    return { exchange: exchangeId, symbols, available: true };
  } catch (error) {
    exchangeFailure({ exchange: exchangeId, symbol: '*', timeframe: '1h' }, error, nowMs);
    return { exchange: exchangeId, symbols: [], available: false };
  }
}

/** The series key of a request for an enabled exchange (or the simulated one); 422 otherwise. */
export function assertEnabledSeriesKey(input: SeriesKey): SeriesKey {
  const key = assertSeriesKey(input);
  if (key.exchange !== SIMULATED_EXCHANGE && !enabledExchanges().exchanges.includes(key.exchange)) {
    throw AppError.validation([{ field: 'exchange', message: `"${key.exchange}" is not an enabled exchange` }]);
  }
  return key;
}

/** How many recent candles the page reads: at least `atLeast`, and enough for the 24 h change (at most 2,000). */
const recentCandleCount = (timeframe: string, atLeast: number) => Math.min(2_000, Math.max(atLeast, Math.ceil(DAY_MS / timeframeToMs(timeframe)) + 1));

/** Candles of a market with none stored that its chart can pan over (the latest ones). */
export const UNSTORED_CHART_CANDLES = 1_000;
/** A market's recent candles are asked of the exchange at most this often (the snapshot and the chart share them). */
const RECENT_CANDLES_TTL_MS = 5_000;
const recentCandles = new Map<string, { atMs: number; candles: OhlcvRow[] }>();

/**
 * The latest closed candles of a market with none stored (its existence checked: assertKnownMarket), for the
 * snapshot and the chart: the exchange's when it answers, else the simulated market's; why in `notices`.
 */
export async function unstoredCandles(
  key: SeriesKey,
  nowMs: number,
): Promise<{ candleSource: Exclude<CandleSourceKind, 'stored'>; candles: OhlcvRow[]; notices: string[] }> {
  const step = timeframeToMs(key.timeframe);
  const wanted = recentCandleCount(key.timeframe, UNSTORED_CHART_CANDLES);
  const endMs = Math.floor(nowMs / step) * step;
  const notices: string[] = [];
  if (exchangeAvailable(key.exchange, nowMs)) {
    const cacheKey = `${key.exchange}|${key.symbol}|${key.timeframe}|${endMs}`;
    const cached = recentCandles.get(cacheKey);
    if (cached && nowMs - cached.atMs < RECENT_CANDLES_TTL_MS) return { candleSource: 'live', candles: cached.candles, notices };
    try {
      const candles: OhlcvRow[] = [];
      const exchange = marketDataExchange(key.exchange, { quick: true });
      for await (const page of exchange.fetchOhlcvHistory(key.symbol, key.timeframe, endMs - wanted * step, endMs)) candles.push(...page);
      if (candles.length > 0) {
        if (recentCandles.size > 50) recentCandles.clear();
        recentCandles.set(cacheKey, { atMs: nowMs, candles });
        return { candleSource: 'live', candles, notices };
      }
      notices.push(`${key.exchange} has no recent ${key.timeframe} candles of ${key.symbol}`);
    } catch (error) {
      notices.push(exchangeFailure(key, error, nowMs));
    }
  }
  notices.push('no stored candles: showing the simulated market');
  return { candleSource: 'simulated', candles: simulatedMarketFor(key.symbol, key.timeframe, nowMs).candles(endMs - wanted * step, endMs), notices };
}

const num = (value: string | null): number | null => (value === null ? null : Number(value));

export interface SnapshotRequest extends SeriesKey {
  /** Order book levels per side. */
  depth: number;
  /** Candles to return (at most MAX_VIEW_CANDLES). */
  limit: number;
}

/**
 * `markPrice`: the market's mark (orders/mark.ts). Without a live exchange the simulated ticker and book sit
 * around it rather than around this series' last close, so the page's "Last" never contradicts the mark the
 * order ticket and the portfolio use.
 */
export async function getMarketSnapshot(db: DbOrTx, input: SnapshotRequest, nowMs = Date.now(), options: { markPrice?: number } = {}): Promise<MarketSnapshot> {
  const key = assertEnabledSeriesKey(input);
  const step = timeframeToMs(key.timeframe);
  const limit = Math.min(MAX_VIEW_CANDLES, Math.max(1, input.limit));
  const notices: string[] = [];

  let candleSource: CandleSourceKind;
  let candles: OhlcvRow[] = [];
  const stored = await candleRange(db, key);
  if (!stored) await assertKnownMarket(db, key, nowMs);
  if (stored) {
    const wanted = recentCandleCount(key.timeframe, limit);
    const series = await readCandleSeries(db, key, stored.lastMs - (wanted - 1) * step, stored.lastMs + step, { expectedCount: wanted });
    for (let i = 0; i < series.length; i++)
      candles.push([series.time[i]!, series.open[i]!, series.high[i]!, series.low[i]!, series.close[i]!, series.volume[i]!]);
    candleSource = 'stored';
  } else {
    const recent = await unstoredCandles(key, nowMs);
    ({ candleSource, candles } = recent);
    notices.push(...recent.notices);
  }

  let quoteSource: QuoteSourceKind = 'simulated';
  let ticker: MarketTicker | null = null;
  let orderBook: MarketSnapshot['orderBook'] = null;
  let priceTick: string | null = null;
  if (exchangeAvailable(key.exchange, nowMs)) {
    try {
      const exchange = marketDataExchange(key.exchange, { quick: true });
      const [t, book, info] = await Promise.all([
        exchange.fetchTicker(key.symbol),
        exchange.fetchOrderBook(key.symbol, input.depth),
        // The tick only shapes how prices are shown: without it they show significant digits.
        exchange.market(key.symbol).catch(() => null),
      ]);
      priceTick = info?.priceTick ?? null;
      const last = num(t.last) ?? candles[candles.length - 1]?.[4] ?? null;
      if (last !== null) ticker = { last, bid: num(t.bid), ask: num(t.ask), change24hPct: change24h(candles, last, step), timeMs: t.timeMs };
      const levels = (side: [string, string][]) => side.slice(0, input.depth).map(([p, a]) => [Number(p), Number(a)] as [number, number]);
      orderBook = { bids: levels(book.bids), asks: levels(book.asks) };
      quoteSource = 'live';
    } catch (error) {
      const notice = exchangeFailure(key, error, nowMs);
      if (!notices.includes(notice)) notices.push(notice);
    }
  }
  if (quoteSource === 'simulated') {
    const lastClose = options.markPrice ?? candles[candles.length - 1]?.[4];
    if (lastClose !== undefined) {
      const market = simulatedMarketFor(key.symbol, key.timeframe, nowMs);
      const t = market.ticker(lastClose, nowMs);
      ticker = { last: t.last, bid: t.bid, ask: t.ask, change24hPct: change24h(candles, t.last, step), timeMs: t.timeMs };
      const book = market.orderBook(lastClose, nowMs, input.depth);
      orderBook = { bids: book.bids, asks: book.asks };
      priceTick = simulatedPriceTick(key.symbol);
      if (key.exchange !== SIMULATED_EXCHANGE)
        notices.push(`ticker and order book are simulated around the ${options.markPrice !== undefined ? 'mark price' : 'last close'}`);
    }
  }

  return {
    ...key,
    candleSource,
    candles: candles.slice(-limit),
    quoteSource,
    ticker,
    orderBook,
    priceTick,
    notice: notices.length > 0 ? notices.join('; ') : null,
    generatedAtMs: nowMs,
  };
}
