import type { PairListSpec } from '@/db/schema/strategies';
import { MAX_PAIRS } from '@/server/core/backtest/portfolio';
import { AppError } from '@/server/core/errors';
import type { MarketData } from '@/server/exchange/ports';
import { marketDataExchange } from '@/server/services/market-data/exchange';
import { quoteOf } from './pair-list';

/**
 * `pairlist: {type: "top_volume", n, quote}` (docs/backtesting.md, "Pair lists"): the `n` active spot markets quoting
 * `quote` with the highest 24 h quote volume (ccxt fetchTickers). The strategy stores the spec and the list resolved
 * when it is saved (its `symbols`); a backtest runs that list and states it; a running live-feed deployment has it
 * re-resolved on a schedule by the worker (server/worker/pair-list-refresh.ts).
 */

export type TopVolumeMarketData = Pick<MarketData, 'loadMarkets' | 'fetchQuoteVolumes'>;

/** The spec as stored (quote upper-cased), or a 422 naming `pairlist.<field>`. */
export function parsePairListSpec(input: { type?: unknown; n?: unknown; quote?: unknown }): PairListSpec {
  const invalid = (field: string, message: string): never => {
    throw AppError.validation([{ field: `pairlist.${field}`, message }]);
  };
  if (input.type !== 'top_volume') invalid('type', 'must be "top_volume"');
  const n = input.n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PAIRS) invalid('n', `must be an integer from 1 to ${MAX_PAIRS}`);
  const quote = typeof input.quote === 'string' ? input.quote.trim().toUpperCase() : '';
  if (!/^[A-Z0-9]{2,12}$/.test(quote)) invalid('quote', 'must be a currency code such as USDT');
  return { type: 'top_volume', n: n as number, quote };
}

/** The spec's list now: by 24 h quote volume, highest first (ties by symbol), the first `n`. Throws when unreadable. */
export async function topVolumeSymbols(exchange: string, spec: PairListSpec, marketData?: (exchangeId: string) => TopVolumeMarketData): Promise<string[]> {
  const client = marketData ? marketData(exchange) : marketDataExchange(exchange);
  const [markets, volumes] = await Promise.all([client.loadMarkets(), client.fetchQuoteVolumes()]);
  return Object.values(markets)
    .filter((m) => m.active && !m.symbol.includes(':') && quoteOf(m.symbol) === spec.quote)
    .map((m) => ({ symbol: m.symbol, volume: Number(volumes[m.symbol] ?? 0) || 0 }))
    .sort((a, b) => b.volume - a.volume || a.symbol.localeCompare(b.symbol))
    .slice(0, spec.n)
    .map((m) => m.symbol);
}

/** Resolves a requested spec when a strategy is saved: the spec and its list now; bad input or no market is a 422. */
export async function resolveTopVolumePairList(
  exchange: string,
  input: { type?: unknown; n?: unknown; quote?: unknown },
  deps: { marketData?: (exchangeId: string) => TopVolumeMarketData } = {},
): Promise<{ spec: PairListSpec; symbols: string[] }> {
  const spec = parsePairListSpec(input);
  const symbols = await topVolumeSymbols(exchange, spec, deps.marketData).catch(() => {
    throw AppError.validation([
      { field: 'pairlist.type', message: `${exchange}'s markets and 24 h volumes could not be read; try again, or give the list as symbols` },
    ]);
  });
  if (symbols.length === 0) throw AppError.validation([{ field: 'pairlist.quote', message: `${exchange} lists no active market quoting ${spec.quote}` }]);
  return { spec, symbols };
}

/**
 * What a spec would resolve to now, for the strategy form's preview: the list (empty when no active market quotes
 * `quote`: the form says so). A bad spec is a 422 naming `pairlist.<field>`; markets or volumes that cannot be read
 * are a 503 (the form offers to retry).
 */
export async function previewTopVolumePairList(
  exchange: string,
  input: { type?: unknown; n?: unknown; quote?: unknown },
  deps: { marketData?: (exchangeId: string) => TopVolumeMarketData } = {},
): Promise<{ symbols: string[] }> {
  const spec = parsePairListSpec(input);
  const symbols = await topVolumeSymbols(exchange, spec, deps.marketData).catch(() => {
    throw new AppError('UNAVAILABLE', `${exchange}'s markets and 24 h volumes could not be read; try again`);
  });
  return { symbols };
}
