import type { DbOrTx } from '@/db/client';
import type { CapitalRules } from '@/db/schema/strategies';
import { MAX_OPEN_POSITIONS, MAX_PAIRS } from '@/server/core/backtest/portfolio';
import { AppError, type FieldIssue } from '@/server/core/errors';
import { createStrategy } from '@/server/core/strategies';
import { hasStoredMarket } from '@/server/services/market-data/candles';
import { listExchangeSymbols } from '@/server/services/market-data/market-view';

/**
 * A strategy's pair list (docs/backtesting.md, "Pair lists"): the checks that name the bad entry (`symbols[3]`),
 * and the capital rules' defaults. The request schemas only check the shapes; everything here is a 422.
 */

const SYMBOL = /^[A-Z0-9.\-_]+\/[A-Z0-9.\-_]+(:[A-Z0-9.\-_]+)?$/;

export interface CapitalRulesInput {
  maxOpenPositions?: number;
  stake?: CapitalRules['stake'];
  priority?: CapitalRules['priority'];
}

/** The quote currency of a unified symbol ("BTC/USDT" → "USDT", "BTC/USDT:USDT" → "USDT"). */
export function quoteOf(symbol: string): string {
  return (symbol.split('/')[1] ?? '').split(':')[0]!;
}

/**
 * The list as stored: trimmed, 1..MAX_PAIRS unified symbols, no duplicate, one quote currency (stakes and equity
 * are amounts of it), each a market the exchange lists or whose candles are stored. The first bad entry is named.
 */
export async function validateSymbolList(db: DbOrTx, exchange: string, input: readonly string[]): Promise<string[]> {
  const invalid = (field: string, message: string): never => {
    throw AppError.validation([{ field, message }]);
  };
  if (input.length < 1 || input.length > MAX_PAIRS) invalid('symbols', `a pair list holds 1 to ${MAX_PAIRS} symbols, got ${input.length}`);
  const symbols = input.map((s) => s.trim());
  const seen = new Map<string, number>();
  symbols.forEach((symbol, i) => {
    if (!SYMBOL.test(symbol)) invalid(`symbols[${i}]`, 'must be a unified symbol such as BTC/USDT');
    const first = seen.get(symbol);
    if (first !== undefined) invalid(`symbols[${i}]`, `${symbol} is already symbols[${first}]`);
    seen.set(symbol, i);
    if (quoteOf(symbol) !== quoteOf(symbols[0]!))
      invalid(`symbols[${i}]`, `quotes ${quoteOf(symbol)}, but symbols[0] quotes ${quoteOf(symbols[0]!)}: a pair list shares one quote currency`);
  });
  // Known markets: stored candles answer without the network; the exchange's list is asked only when needed.
  let listed: Set<string> | null | undefined;
  for (let i = 0; i < symbols.length; i++) {
    if (await hasStoredMarket(db, { exchange, symbol: symbols[i]! })) continue;
    if (listed === undefined) {
      const markets = await listExchangeSymbols(exchange).catch(() => null);
      listed = markets?.available ? new Set(markets.symbols) : null;
    }
    if (!listed?.has(symbols[i]!)) invalid(`symbols[${i}]`, `unknown market: ${exchange} lists no ${symbols[i]} and none of its candles are stored`);
  }
  return symbols;
}

/** The capital rules with their defaults: as many slots as pairs (at most MAX_OPEN_POSITIONS), equal split, list order. */
export function resolveCapitalRules(type: string, params: Record<string, unknown>, pairCount: number, input: CapitalRulesInput | undefined): CapitalRules {
  const rules: CapitalRules = {
    maxOpenPositions: input?.maxOpenPositions ?? Math.min(pairCount, MAX_OPEN_POSITIONS),
    stake: input?.stake ?? { type: 'equal_split' },
    priority: input?.priority ?? 'list',
  };
  const instance = createStrategy(type, params);
  const issues: FieldIssue[] = [];
  if (instance.accumulates) issues.push({ field: 'type', message: `${type} adds to open positions (DCA) and cannot trade a pair list` });
  if (rules.priority === 'score' && instance.entryScore === undefined)
    issues.push({ field: 'capital.priority', message: `${type} returns no entry score; use "list" (the pair list's order)` });
  if (issues.length > 0) throw AppError.validation(issues);
  return rules;
}
