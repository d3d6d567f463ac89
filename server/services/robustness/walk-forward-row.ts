/**
 * A walk-forward as it is stored: the `walk_forwards` row, what its `spec`, fold results and result hold, and the
 * reads and settings every part of the service (creation, views, the fold job) shares.
 */
import type { DbOrTx } from '@/db/client';
import { walkForwards, type BacktestStatus } from '@/db/schema';
import type { CapitalRules } from '@/db/schema/strategies';
import type { BacktestConfig, BacktestMetrics } from '@/server/core/backtest/types';
import { AppError } from '@/server/core/errors';
import type { ChosenSharpe } from '@/server/core/robustness/significance';
import type { FoldSpec, Neighbourhood, SearchMethod, SearchSpace, WalkForwardObjective } from '@/server/core/robustness/walk-forward';
import { and, eq } from 'drizzle-orm';

/** What the row's `spec` holds: the request's search settings, with the seed and trial count resolved. */
export interface StoredSpec {
  folds: FoldSpec;
  anchored: boolean;
  space: SearchSpace;
  search: { method: SearchMethod; trials: number; seed: number };
  objective: WalkForwardObjective;
  drawdownWeight: number;
  minTrades: number;
  /** a pair-list strategy's symbols and capital rules, fixed for the run (the row's `symbol` is the list's first); absent: one market */
  pairList?: { symbols: string[]; capital: CapitalRules };
}

/** One fold's stored result (times in ms; the view turns them into ISO strings). */
export interface FoldResult {
  /** the full validated params of the chosen cell; null when no trial was feasible (the fold then holds cash) */
  params: Record<string, unknown> | null;
  /** the chosen values of the searched parameters only */
  chosen: Record<string, unknown> | null;
  objective: number | null;
  /** trials proposed, distinct cells evaluated, and the feasible ones among them */
  trials: number;
  evaluated: number;
  feasible: number;
  inSampleMetrics: BacktestMetrics | null;
  outOfSampleMetrics: BacktestMetrics | null;
  neighbourhood: Neighbourhood | null;
  /**
   * The chosen cell's in-sample Sharpe ratio deflated for the distinct cells the fold evaluated (docs/robustness.md,
   * "Significance"); null when nothing was feasible, and on folds stored before it was computed.
   */
  deflatedSharpe?: ChosenSharpe | null;
  /** bars in the windows */
  inSampleBars: number;
  outOfSampleBars: number;
}

export interface StitchedResult {
  outOfSampleMetrics: BacktestMetrics;
  efficiency: number | null;
  equity: Array<{ time: number; equity: number }>;
  stability: Record<string, Array<unknown>>;
  trials: number;
}

export type Row = typeof walkForwards.$inferSelect;
export const ACTIVE: BacktestStatus[] = ['queued', 'running'];

export async function walkForwardRow(db: DbOrTx, userId: string, id: string): Promise<Row> {
  const [row] = await db
    .select()
    .from(walkForwards)
    .where(and(eq(walkForwards.id, id), eq(walkForwards.userId, userId)));
  if (!row) throw AppError.notFound('walk-forward');
  return row;
}

export function configOf(row: Row): BacktestConfig {
  return { initialCapital: row.initialCapital, feeRate: row.feeRate, slippage: row.slippage, timeframe: row.timeframe };
}
