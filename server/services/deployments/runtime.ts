/** A claimed deployment in a worker's memory: its strategy instance and bars. Rebuilt from Postgres on any doubt. */
import type { DbOrTx } from '@/db/client';
import { createSimulatedMarket, type SimulatedMarket } from '@/server/core/market/simulated';
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

export async function loadRuntime(db: DbOrTx, row: DeploymentRow, epoch: number): Promise<DeploymentRuntime> {
  const account = await findOwnedAccount(db, row.userId, row.accountId);
  const script = isScriptType(row.strategy.type) ? await scriptStrategy(db, row) : null;
  const strategy = script ?? createStrategy(row.strategy.type, row.strategy.params);
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
  const symbols = row.strategy.symbols;
  const portfolio: PortfolioRuntime | null = symbols
    ? {
        symbols,
        strategies: symbols.map(() => createStrategy(row.strategy.type, row.strategy.params)),
        bars: symbols.map(() => new BarBuffer()),
        simulated: symbols.map(simulatedMarket),
      }
    : null;
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
