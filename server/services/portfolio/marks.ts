/**
 * Mark prices: what a position or a balance is worth now (and was worth at a past time, for pnlToday).
 * - Paper accounts: the paper price source (stored candles, else the simulated market), the same feed
 *   paper orders fill against.
 * - Real accounts: the exchange's ticker (last trade, else the bid/ask midpoint) through our ccxt adapter.
 * One `MarkSource` serves one portfolio request (or one snapshot) and asks for each symbol once.
 */
import { Decimal } from '@/server/core/money';
import { isExchangeError } from '@/server/exchange/errors';
import type { MarketData } from '@/server/exchange/ports';
import { markOfQuote, markOfTicker, type MarkView, type PaperPriceSource } from '@/server/services/orders';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface Mark {
  /** Quote per base. */
  price: Decimal;
  /** e.g. "simulated market", "stored candles (binance 1h)", "binance ticker". */
  source: string;
  /** The market's mark as every screen shows it (orders/mark.ts: the one place a mark is made). */
  view: MarkView;
}

const markOf = (view: MarkView | null): Mark | null => (view ? { price: new Decimal(view.price), source: view.source, view } : null);

export interface MarkSource {
  /** The latest price of a BASE/QUOTE symbol, or null when there is none (no such market, no data). */
  latest(symbol: string): Promise<Mark | null>;
  /** The price at `timeMs` (the close of the last candle that closed by then), or null when unknown. */
  at(symbol: string, timeMs: number): Promise<Decimal | null>;
}

/** A float feed price as a decimal, by its shortest representation (60000.5, never 60000.499999…). */
const fromFeed = (price: number): Decimal | null => (Number.isFinite(price) && price > 0 ? new Decimal(String(price)) : null);

function memo<T>(compute: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    let value = cache.get(key);
    if (!value) {
      value = compute(key);
      cache.set(key, value);
    }
    return value;
  };
}

/** Marks of a paper account: its price feed. */
export function paperMarks(prices: PaperPriceSource): MarkSource {
  const latestQuote = memo((symbol) => prices.latest(symbol));
  return {
    async latest(symbol) {
      return markOf(markOfQuote(symbol, await latestQuote(symbol)));
    },
    async at(symbol, timeMs) {
      const quote = await latestQuote(symbol);
      if (!quote) return null;
      // The feed has not moved since before that time (stale stored candles): its latest price is the price then.
      if (quote.timeMs <= timeMs) return fromFeed(quote.price);
      const candles = await prices.candlesSince(symbol, timeMs - DAY_MS, timeMs);
      const last = candles.at(-1);
      return last ? fromFeed(last[4]) : null;
    },
  };
}

/**
 * Marks of a real account: the exchange's ticker. A symbol the exchange does not list is unpriced (null);
 * any other failure (network, credentials) is thrown: the account cannot be valued.
 */
export function exchangeMarks(exchange: Pick<MarketData, 'exchangeId' | 'fetchTicker' | 'fetchOHLCV'>): MarkSource {
  const latest = memo(async (symbol): Promise<Mark | null> => {
    try {
      return markOf(markOfTicker(exchange.exchangeId, await exchange.fetchTicker(symbol)));
    } catch (error) {
      if (isExchangeError(error) && (error.kind === 'rejected' || error.kind === 'not_found')) return null;
      throw error;
    }
  });
  return {
    latest,
    async at(symbol, timeMs) {
      // The hourly candle that closes at `timeMs` (callers ask for 00:00 UTC, an hour boundary).
      const openMs = Math.floor(timeMs / HOUR_MS) * HOUR_MS - HOUR_MS;
      try {
        const rows = await exchange.fetchOHLCV(symbol, '1h', openMs, 2);
        const candle = rows.find((row) => row[0] === openMs);
        return candle ? fromFeed(candle[4]) : null;
      } catch (error) {
        if (isExchangeError(error)) return null;
        throw error;
      }
    },
  };
}

/** What one unit of `asset` is worth in `currency`: 1 for the currency itself, else the mark of ASSET/CURRENCY. */
export async function unitValue(marks: MarkSource, asset: string, currency: string): Promise<Decimal | null> {
  if (asset === currency) return new Decimal(1);
  return (await marks.latest(`${asset}/${currency}`))?.price ?? null;
}
