/**
 * Demo market data for `npm start`: BTC/USDT 1h over the last year, only when no candle is stored yet.
 * From the default exchange when it answers within the time box; otherwise from the real candles the
 * caller passes (`offlineCandles`: `npm start` passes the repository's Coinbase BTC-USD 1h, stored as
 * what they are, coinbase BTC/USD 1h); without those, from the seeded simulated market (deterministic:
 * seed 42), stored under the exchange id "simulated" so it is never mistaken for real prices.
 * The strategy and backtest forms default to a stored series, so whichever was seeded is the default.
 */
import type { Db } from '@/db/client';
import type { OhlcvRow } from '@/server/core/candles';
import { createSimulatedMarket } from '@/server/core/market/simulated';
import { timeframeToMs } from '@/server/core/timeframe';
import type { CcxtExchange } from '@/server/exchange/ccxt-adapter';
import { hasAnyCandles, upsertCandles, type SeriesKey } from './candles';
import { enabledExchanges, marketDataExchange } from './exchange';
import { SIMULATED_EXCHANGE } from './series-key';

export const DEMO_SYMBOL = 'BTC/USDT';
export const DEMO_TIMEFRAME = '1h';
export const DEMO_SEED = 42;
const YEAR_MS = 365 * 86_400_000;

export interface MarketDataSeedResult {
  seeded: boolean;
  source?: 'exchange' | 'offline' | 'simulated';
  key?: SeriesKey;
  inserted?: number;
}

export async function seedDemoMarketData(
  db: Db,
  options: {
    timeBoxMs?: number;
    now?: number;
    exchangeFor?: (exchangeId: string) => Pick<CcxtExchange, 'fetchOhlcvHistory'>;
    /** Real candles to store when the exchange cannot be reached (read lazily: only then). */
    offlineCandles?: () => { key: SeriesKey; rows: OhlcvRow[] };
  } = {},
): Promise<MarketDataSeedResult> {
  if (await hasAnyCandles(db)) return { seeded: false };
  const step = timeframeToMs(DEMO_TIMEFRAME);
  const endMs = Math.floor((options.now ?? Date.now()) / step) * step;
  const startMs = endMs - YEAR_MS;

  const exchangeId = enabledExchanges().defaultExchange;
  const rows: OhlcvRow[] = [];
  try {
    const exchange = (options.exchangeFor ?? ((id: string) => marketDataExchange(id, { quick: true })))(exchangeId);
    const signal = AbortSignal.timeout(options.timeBoxMs ?? 10_000);
    for await (const page of exchange.fetchOhlcvHistory(DEMO_SYMBOL, DEMO_TIMEFRAME, startMs, endMs, { signal })) rows.push(...page);
  } catch {
    rows.length = 0; // unreachable or too slow: the simulated market instead
  }
  if (rows.length > 0) {
    const key = { exchange: exchangeId, symbol: DEMO_SYMBOL, timeframe: DEMO_TIMEFRAME };
    const { inserted } = await upsertCandles(db, key, rows);
    return { seeded: true, source: 'exchange', key, inserted };
  }
  if (options.offlineCandles) {
    const offline = options.offlineCandles();
    const { inserted } = await upsertCandles(db, offline.key, offline.rows);
    return { seeded: true, source: 'offline', key: offline.key, inserted };
  }
  const market = createSimulatedMarket({ seed: DEMO_SEED, timeframe: DEMO_TIMEFRAME, originMs: startMs, startPrice: 60_000 });
  const key = { exchange: SIMULATED_EXCHANGE, symbol: DEMO_SYMBOL, timeframe: DEMO_TIMEFRAME };
  const { inserted } = await upsertCandles(db, key, market.candles(startMs, endMs));
  return { seeded: true, source: 'simulated', key, inserted };
}
