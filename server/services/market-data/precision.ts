/**
 * A market's precision for the screens: its price tick and amount (lot) step, as decimal strings, so that
 * prices show on the tick and quantities on the step (components/format, docs/formatting.md).
 *
 * - A real exchange: ccxt's market precision (`MarketInfo.priceTick` / `amountStep`), from ONE markets load per
 *   exchange, cached in the process and refreshed in the background every MARKETS_REFRESH_MS. A page never waits
 *   more than LOAD_WAIT_MS for the first load: without an answer by then (an unreachable exchange) the precision
 *   is unknown (null) and the load goes on for the next request; a failed load is retried after RETRY_AFTER_MS.
 * - The simulated exchange: the simulated market's decimals (its price tick, its amount step 0.000001).
 * - Paper accounts: the simulated market's decimals for the symbols it knows; null for the rest (a paper market
 *   priced from stored candles of an unknown coin could be far finer than a guessed tick).
 * - Anything else (an exchange not enabled, a symbol the exchange does not list): null, and the screens fall back
 *   to significant digits.
 * Display only: orders are rounded to the exchange's precision by the ccxt adapter, never by this.
 */
import { SIMULATED_AMOUNT_DECIMALS } from '@/server/core/market/simulated';
import { logger } from '@/server/logger';
import { enabledExchanges, marketDataExchange } from './exchange';
import { isSimulatedBase, simulatedPriceTick } from './market-view';
import { SIMULATED_EXCHANGE } from './series-key';

export interface MarketPrecision {
  /** The price tick ("0.01"); null when unknown. */
  priceTick: string | null;
  /** The amount (lot) step ("0.00001"); null when unknown. */
  amountStep: string | null;
}

export const UNKNOWN_PRECISION: MarketPrecision = Object.freeze({ priceTick: null, amountStep: null });

/** The exchange id of paper accounts (services/accounts PAPER_EXCHANGE; not imported: accounts sits above market data). */
const PAPER = 'paper';
export const LOAD_WAIT_MS = 1_500;
const RETRY_AFTER_MS = 60_000;
const MARKETS_REFRESH_MS = 6 * 3_600_000;

export const SIMULATED_AMOUNT_STEP = (1 / 10 ** SIMULATED_AMOUNT_DECIMALS).toFixed(SIMULATED_AMOUNT_DECIMALS);

/** The simulated market's precision of a symbol. */
export function simulatedPrecision(symbol: string): MarketPrecision {
  return { priceTick: simulatedPriceTick(symbol), amountStep: SIMULATED_AMOUNT_STEP };
}

type PrecisionMap = ReadonlyMap<string, MarketPrecision>;

interface CacheEntry {
  /** The loaded precisions; undefined while the first load runs; null when it failed. */
  value: PrecisionMap | null | undefined;
  /** When `value` was settled (ms). */
  at: number;
  loading: Promise<PrecisionMap | null> | null;
}

const cache = new Map<string, CacheEntry>();

/** Forgets every exchange's precisions (tests). */
export function clearPrecisionCache(): void {
  cache.clear();
}

function load(exchangeId: string, entry: CacheEntry, clock: () => number): Promise<PrecisionMap | null> {
  const loading = marketDataExchange(exchangeId, { quick: true })
    .loadMarkets()
    .then(
      (markets) => {
        const map = new Map<string, MarketPrecision>();
        for (const m of Object.values(markets)) map.set(m.symbol, { priceTick: m.priceTick, amountStep: m.amountStep });
        entry.value = map;
        return map;
      },
      (error: unknown) => {
        logger.info(
          { exchangeId, err: error instanceof Error ? error.message.slice(0, 200) : String(error) },
          'market precision unknown: markets did not load',
        );
        // A refresh that failed keeps the precisions it had.
        if (!entry.value) entry.value = null;
        return entry.value;
      },
    )
    .finally(() => {
      entry.at = clock();
      entry.loading = null;
    });
  entry.loading = loading;
  return loading;
}

/** The precisions an enabled exchange lists, or null when they are not known (yet). Waits at most LOAD_WAIT_MS. */
async function exchangePrecisions(exchangeId: string, clock: () => number, waitMs: number): Promise<PrecisionMap | null> {
  let entry = cache.get(exchangeId);
  if (!entry) {
    entry = { value: undefined, at: clock(), loading: null };
    cache.set(exchangeId, entry);
    load(exchangeId, entry, clock);
  } else if (!entry.loading) {
    const age = clock() - entry.at;
    if ((entry.value === null && age > RETRY_AFTER_MS) || (entry.value && age > MARKETS_REFRESH_MS)) load(exchangeId, entry, clock);
  }
  // Only the first load is waited for: a retry after a failure (or a refresh) runs in the background.
  if (entry.value !== undefined) return entry.value;
  const pending = entry.loading!;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
    timer.unref?.();
  });
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface PrecisionOptions {
  clock?: () => number;
  /** Longest wait for an exchange's first markets load (default LOAD_WAIT_MS). */
  waitMs?: number;
}

/** The precision of each market of `exchanges` (one markets load per exchange, cached), as a lookup. */
export async function precisionLookup(
  exchanges: Iterable<string>,
  options: PrecisionOptions = {},
): Promise<(exchange: string, symbol: string) => MarketPrecision> {
  const clock = options.clock ?? Date.now;
  const enabled = new Set(enabledExchanges().exchanges);
  const loaded = new Map<string, PrecisionMap | null>();
  await Promise.all(
    [...new Set(exchanges)]
      .filter((id) => id !== PAPER && id !== SIMULATED_EXCHANGE && enabled.has(id))
      .map(async (id) => loaded.set(id, await exchangePrecisions(id, clock, options.waitMs ?? LOAD_WAIT_MS))),
  );
  return (exchange, symbol) => {
    if (exchange === SIMULATED_EXCHANGE) return simulatedPrecision(symbol);
    if (exchange === PAPER) return isSimulatedBase(symbol) ? simulatedPrecision(symbol) : UNKNOWN_PRECISION;
    return loaded.get(exchange)?.get(symbol) ?? UNKNOWN_PRECISION;
  };
}

/** The precision of one market. */
export async function marketPrecision(exchange: string, symbol: string, options: PrecisionOptions = {}): Promise<MarketPrecision> {
  return (await precisionLookup([exchange], options))(exchange, symbol);
}
