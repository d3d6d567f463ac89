/** A claimed deployment in a worker's memory: its strategy instance and bars. Rebuilt from Postgres on any doubt. */
import type { DbOrTx } from '@/db/client';
import { createSimulatedMarket, type SimulatedMarket } from '@/server/core/market/simulated';
import { isPortfolioState } from '@/server/core/trading';
import { isScriptType } from '@/server/core/scripts/script-type';
import { createStrategy } from '@/server/core/strategies/registry';
import type { StrategyInstance } from '@/server/core/strategies/types';
import { timeframeToMs } from '@/server/core/timeframe';
import { findOwnedAccount, type AccountRow } from '@/server/services/accounts';
import { BarBuffer, warmupBars } from './bars';
import type { DeploymentRow } from './model';

export interface DeploymentRuntime {
  id: string;
  userId: string;
  /** The lease epoch this worker holds. */
  epoch: number;
  row: DeploymentRow;
  account: AccountRow;
  strategy: StrategyInstance;
  bars: BarBuffer;
  /** The strategy's timeframe, in ms: the length of one bar. */
  barMs: number;
  simulated: SimulatedMarket | null;
  /** When the next tick has something to do (ms wall clock); 0 = now. */
  nextDueMs: number;
  /** Cache of the replay's last stored candle: [when read, open time]. */
  lastStored: { readAtMs: number; lastMs: number | null } | null;
  /** A top-volume list's last read of the stored list (ms wall clock; pair-list-refresh.ts `followStoredPairList`). */
  pairListReadAtMs?: number;
  /** A pair-list deployment's per-pair instances and bars (null: one symbol). portfolio-tick.ts runs it. */
  portfolio: PortfolioRuntime | null;
  /** A script's strategy: frees its isolate (disposeRuntime); null for a built-in. */
  disposeStrategy: (() => void) | null;
  /** A script's strategy: what it printed since the last call (script-log.ts stores it after a tick); null for a built-in. */
  takeScriptLog: (() => PrintedLog) | null;
}

/** Lines a script printed, and how many more it printed over the cap. */
export interface PrintedLog {
  readonly lines: readonly string[];
  readonly dropped: number;
}

/** One strategy instance, bar buffer and simulated market per pair, in list order. */
export interface PortfolioRuntime {
  symbols: string[];
  strategies: StrategyInstance[];
  bars: BarBuffer[];
  simulated: Array<SimulatedMarket | null>;
  /** A new pair's instance, empty bar buffer and simulated market (a refreshed list's joining pair). */
  newPair: (symbol: string) => { strategy: StrategyInstance; bars: BarBuffer; simulated: SimulatedMarket | null };
}

/**
 * The runtime's pairs made those of the machine's state, in its order: a pair the state gained (a refreshed list,
 * portfolio-list.ts) gets a fresh instance and bar buffer (its warm-up loads with its first bars); one the state no
 * longer has (a rolled-back tick) is dropped.
 */
export function syncPortfolioRuntime(portfolio: PortfolioRuntime, symbols: readonly string[]): void {
  if (symbols.length === portfolio.symbols.length && symbols.every((symbol, i) => portfolio.symbols[i] === symbol)) return;
  const had = new Map(portfolio.symbols.map((symbol, i) => [symbol, i]));
  const pairs = symbols.map((symbol) => {
    const i = had.get(symbol);
    return i === undefined ? portfolio.newPair(symbol) : { strategy: portfolio.strategies[i]!, bars: portfolio.bars[i]!, simulated: portfolio.simulated[i]! };
  });
  portfolio.symbols = [...symbols];
  portfolio.strategies = pairs.map((p) => p.strategy);
  portfolio.bars = pairs.map((p) => p.bars);
  portfolio.simulated = pairs.map((p) => p.simulated);
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const SIM_START_PRICES: Record<string, number> = { BTC: 60_000, ETH: 3_000, SOL: 150, BNB: 500 };

/**
 * A script version's instance, in its own isolate (worker only: the module is loaded on first use, so the web app,
 * which imports this service, never loads the native sandbox). The version is the one pinned at deploy time.
 */
async function scriptStrategy(db: DbOrTx, row: DeploymentRow): Promise<StrategyInstance & { dispose(): void; takeLog(): PrintedLog }> {
  if (row.strategy.symbols) throw new Error('a pair list cannot run a script strategy');
  const { loadScriptStrategy } = await import('@/server/services/scripts/live');
  return loadScriptStrategy(db, row.userId, row.strategy.type, row.strategy.params, row.strategy.scriptHash);
}

/** Frees what a runtime holds outside the heap (a script's isolate); the worker calls it when it drops a deployment. */
export function disposeRuntime(rt: DeploymentRuntime): void {
  rt.disposeStrategy?.();
}

/**
 * `instance`: the strategy instance to use instead of making one (the chart's bars need only a script's warm-up, which
 * the web app knows without loading the sandbox: chart-window.ts).
 */
export async function loadRuntime(db: DbOrTx, row: DeploymentRow, epoch: number, instance?: StrategyInstance): Promise<DeploymentRuntime> {
  const account = await findOwnedAccount(db, row.userId, row.accountId);
  const script = !instance && isScriptType(row.strategy.type) ? await scriptStrategy(db, row) : null;
  const strategy = instance ?? script ?? createStrategy(row.strategy.type, row.strategy.params);
  const barMs = timeframeToMs(row.strategy.timeframe);
  const simulatedMarket = (symbol: string): SimulatedMarket | null => {
    if (row.feed.type !== 'simulated') return null;
    const base = symbol.split('/')[0] ?? '';
    const origin = row.feed.startMs! - 2 * warmupBars(strategy) * barMs;
    return createSimulatedMarket({
      seed: seedOf(`${symbol}|${row.id}`),
      timeframe: row.strategy.timeframe,
      originMs: origin,
      startPrice: SIM_START_PRICES[base] ?? 100,
    });
  };
  // A pair list's pairs are the machine's (a refreshed list may have added some after the strategy's own).
  const symbols = row.strategy.symbols ? (isPortfolioState(row.runner) ? row.runner.pairs.map((pair) => pair.symbol) : row.strategy.symbols) : null;
  const newPair = (symbol: string) => ({
    strategy: createStrategy(row.strategy.type, row.strategy.params),
    bars: new BarBuffer(),
    simulated: simulatedMarket(symbol),
  });
  let portfolio: PortfolioRuntime | null = null;
  if (symbols) {
    portfolio = { symbols: [], strategies: [], bars: [], simulated: [], newPair };
    syncPortfolioRuntime(portfolio, symbols);
  }
  const simulated = simulatedMarket(row.strategy.symbol);
  const disposeStrategy = script ? () => script.dispose() : null;
  const takeScriptLog = script ? () => script.takeLog() : null;
  return {
    id: row.id,
    userId: row.userId,
    epoch,
    row,
    account,
    strategy,
    bars: new BarBuffer(),
    barMs,
    simulated,
    nextDueMs: 0,
    lastStored: null,
    portfolio,
    disposeStrategy,
    takeScriptLog,
  };
}
