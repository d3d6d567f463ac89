/**
 * The mark price of a market: the one price every screen shows for it (Markets, the order ticket, the
 * dashboard's positions, the portfolio), with where it comes from and when it was observed.
 *
 * - Paper (and the Markets page): the paper price feed, the price paper orders fill against: the close of
 *   the symbol's latest stored candle (`last candle`), else the simulated market (`simulated`).
 * - A real exchange account: the exchange's ticker (`ticker`): its last trade, else the bid/ask midpoint.
 *
 * `at` is when the price was observed (the candle's close time, the ticker's time), so a screen can say how
 * old the number is ("mark 60,516.00 · last candle · 3 min ago").
 */
import type { DbOrTx } from '@/db/client';
import { Decimal, formatDecimal } from '@/server/core/money';
import { msToIso } from '@/server/core/time';
import type { Ticker } from '@/server/exchange/ports';
import { type MarkKind, type MarkView } from './views';
import { defaultPaperPriceSource, type Clock, type PaperPriceSource, type PriceQuote } from './price-source';

/** The kind of a paper feed quote, by its source. */
export function quoteKind(quote: Pick<PriceQuote, 'source'>): MarkKind {
  if (quote.source.startsWith('stored candles')) return 'last candle';
  if (quote.source === 'simulated market') return 'simulated';
  return 'feed';
}

/** A float feed price as a decimal string, by its shortest representation (60000.5, never 60000.499999…). */
export function markOfQuote(symbol: string, quote: PriceQuote | null): MarkView | null {
  if (!quote || !Number.isFinite(quote.price) || quote.price <= 0) return null;
  return { symbol, price: formatDecimal(String(quote.price)), kind: quoteKind(quote), source: quote.source, at: msToIso(quote.timeMs) };
}

/** An exchange ticker as a mark: the last trade, else the bid/ask midpoint; null when it has neither. */
export function markOfTicker(exchangeId: string, ticker: Ticker): MarkView | null {
  const last = ticker.last !== null ? new Decimal(ticker.last) : null;
  const mid = ticker.bid !== null && ticker.ask !== null ? new Decimal(ticker.bid).plus(ticker.ask).div(2) : null;
  const price = last && last.gt(0) ? last : mid && mid.gt(0) ? mid : null;
  if (!price) return null;
  return { symbol: ticker.symbol, price: formatDecimal(price.toFixed()), kind: 'ticker', source: `${exchangeId} ticker`, at: msToIso(ticker.timeMs) };
}

export interface MarkDeps {
  prices?: (db: DbOrTx) => PaperPriceSource;
  clock?: Clock;
}

/** The paper mark of a symbol (the price paper orders fill against), or null when the feed has none. */
export async function markPrice(db: DbOrTx, symbol: string, deps: MarkDeps = {}): Promise<MarkView | null> {
  const prices = deps.prices ? deps.prices(db) : defaultPaperPriceSource(db, deps.clock);
  return markOfQuote(symbol, await prices.latest(symbol));
}
