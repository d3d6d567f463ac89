import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx, Tx } from '@/db/client';
import { ENGINE_VERSION } from '@/server/core/backtest';
import { AppError } from '@/server/core/errors';
import { zDecimalInput } from '@/server/core/money';
import { zTimeInput } from '@/server/core/time-input';
import { enqueueJob, type EnqueueInput } from '@/server/services/jobs/queue';
import { msToIso } from '@/server/core/time';
import type { JobType } from '@/server/services/jobs/contract';
import type { StrategyRow } from '@/server/services/strategies/strategies';
import type { CapitalRules } from '@/db/schema/strategies';
import { hasCandlesInRange } from './data-range';

/**
 * What every backtest and every sweep runs: one strategy over the bars with start ≤ time < end, from a
 * starting capital, through the fill model (fee and slippage). Declared once: the request schemas of
 * both extend it (server/api/schemas/backtests.ts) and `createRun` stores it for both.
 */

// Latest time accepted: 2100-01-01 (ms). Earliest: the epoch.
const MAX_TIME_MS = 4_102_444_800_000;

/** A time as ISO 8601 (no zone = UTC, like a plain date at midnight) or ms since epoch (docs/api.md, "Types"); out: ms. */
export const ZTime = zTimeInput({
  max: MAX_TIME_MS,
  message: 'must be an ISO 8601 time (no zone = UTC, e.g. 2024-01-31T00:00:00Z), a date, or ms since epoch, between 1970 and 2100',
});

/** Rates and amounts: a JSON number or a decimal string (zDecimalInput, docs/api.md), out as the number the engine runs on. */
export const ZInitialCapital = zDecimalInput({
  field: 'initialCapital',
  positive: true,
  max: '1000000000000',
  message: 'must be a number greater than 0 and at most 1e12 (quote currency)',
}).transform(Number);
export const ZFeeRate = zDecimalInput({ field: 'feeRate', max: '0.1', message: 'must be a fraction from 0 to 0.1 (0.001 = 0.1% per fill)' }).transform(Number);
export const ZSlippage = zDecimalInput({ field: 'slippage', max: '0.1', message: 'must be a fraction from 0 to 0.1 (0.0005 = 0.05% per fill)' }).transform(
  Number,
);

export const ZRunSpecSchema = z.object({
  strategyId: z.string({ error: 'is required' }).uuid({ error: 'must be a strategy id (UUID)' }),
  /** ms since epoch, UTC, inclusive */
  start: ZTime,
  /** ms since epoch, UTC, exclusive */
  end: ZTime,
  /** quote */
  initialCapital: ZInitialCapital.default(10_000),
  /** fraction per fill */
  feeRate: ZFeeRate.default(0.001),
  /** fraction per market fill */
  slippage: ZSlippage.default(0.0005),
});
export type RunSpec = z.output<typeof ZRunSpecSchema>;

/** The refinement every run request ends with (zod applies it after `.extend`, so it is added last). */
export function endAfterStart(value: { start: number; end: number }, ctx: z.RefinementCtx): void {
  if (value.end <= value.start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
}

/** Checks the strategy may be run over the range; a range without candles is a 422 up front. */
export async function assertRunnable(db: DbOrTx, strategy: StrategyRow, spec: RunSpec): Promise<void> {
  if (strategy.status === 'archived') throw new AppError('CONFLICT', 'the strategy is archived; restore it to run it');
  if (strategy.symbols) {
    // A pair list: every pair needs candles in the range (a pair with none would never trade: a mistake, named).
    for (let i = 0; i < strategy.symbols.length; i++) {
      const key = { exchange: strategy.exchange, symbol: strategy.symbols[i]!, timeframe: strategy.timeframe };
      if (!(await hasCandlesInRange(db, key, spec.start, spec.end))) {
        throw AppError.validation([
          {
            field: `symbols[${i}]`,
            message: `no ${key.exchange} ${key.symbol} ${key.timeframe} candles between ${msToIso(spec.start)} and ${msToIso(spec.end)}; import market data for that range first`,
          },
        ]);
      }
    }
    return;
  }
  const key = { exchange: strategy.exchange, symbol: strategy.symbol, timeframe: strategy.timeframe };
  if (!(await hasCandlesInRange(db, key, spec.start, spec.end))) {
    throw AppError.validation([
      {
        field: 'start',
        message: `no ${key.exchange} ${key.symbol} ${key.timeframe} candles between ${msToIso(spec.start)} and ${msToIso(spec.end)}; import market data for that range first`,
      },
    ]);
  }
}

/**
 * A pair-list run in windows (a walk-forward's folds, each a portfolio backtest over its own candles): every pair needs
 * candles in every window, or that fold would fail when it runs (run-candles.ts). Checked at creation in one query; a
 * 422 naming the first pair (in list order) and its first window without any. Nothing to check for one market, whose
 * range `assertRunnable` checks.
 */
export async function assertPairsCoverWindows(
  db: DbOrTx,
  strategy: StrategyRow,
  windows: ReadonlyArray<{ start: number; end: number; label: string }>,
): Promise<void> {
  if (!strategy.symbols || windows.length === 0) return;
  const array = (values: ReadonlyArray<number | string>) =>
    sql`array[${sql.join(
      values.map((value) => sql`${value}`),
      sql`, `,
    )}]`;
  const [missing] = await db.execute<{ window: number; pair: number }>(sql`
    select (w.i - 1)::int as window, (s.ord - 1)::int as pair
    from unnest(${array(windows.map((w) => w.start))}::bigint[], ${array(windows.map((w) => w.end))}::bigint[]) with ordinality w(start_ms, end_ms, i)
    cross join unnest(${array(strategy.symbols)}::text[]) with ordinality s(symbol, ord)
    where not exists (
      select 1 from candles c
      where c.exchange = ${strategy.exchange} and c.symbol = s.symbol and c.timeframe = ${strategy.timeframe}
        and c.time >= w.start_ms and c.time < w.end_ms)
    order by s.ord, w.i
    limit 1`);
  if (!missing) return;
  const window = windows[missing.window]!;
  const symbol = strategy.symbols[missing.pair]!;
  throw AppError.validation([
    {
      field: `symbols[${missing.pair}]`,
      message: `no ${strategy.exchange} ${symbol} ${strategy.timeframe} candles between ${msToIso(window.start)} and ${msToIso(window.end)} (${window.label}); import market data for that range, or choose a range every pair covers`,
    },
  ]);
}

/** The columns a backtest row and a sweep row share: its id and job, the owner, a snapshot of the strategy, the run spec and the engine. */
export interface RunColumns {
  id: string;
  jobId: string;
  userId: string;
  strategyId: string;
  strategyType: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  startTime: number;
  endTime: number;
  initialCapital: number;
  feeRate: number;
  slippage: number;
  engineVersion: number;
  /** a pair list's symbols and capital rules, fixed for the run; null for one market */
  symbols: string[] | null;
  capital: CapitalRules | null;
}

/** How one kind of run (a backtest, a sweep) is queued and stored. */
export interface RunKind<View, T extends JobType> {
  /** The job that runs the row with this id. */
  job(id: string): Omit<EnqueueInput<T>, 'userId'>;
  /** Inserts the row (the shared columns plus this kind's own) and returns it as the API shows it. */
  insert(tx: Tx, columns: RunColumns): Promise<View>;
}

/**
 * The one creation path of backtests and sweeps: the strategy must be runnable over the spec's range
 * (422 up front), then the job is queued and the row stored with it in one transaction, so a worker
 * never claims a job whose row is missing (the row's id is chosen here, for the job's payload).
 */
export async function createRun<View, T extends JobType>(db: Db, userId: string, strategy: StrategyRow, spec: RunSpec, kind: RunKind<View, T>): Promise<View> {
  await assertRunnable(db, strategy, spec);
  const id = randomUUID();
  const columns: Omit<RunColumns, 'jobId'> = {
    id,
    userId,
    strategyId: strategy.id,
    strategyType: strategy.type,
    exchange: strategy.exchange,
    symbol: strategy.symbol,
    timeframe: strategy.timeframe,
    startTime: spec.start,
    endTime: spec.end,
    initialCapital: spec.initialCapital,
    feeRate: spec.feeRate,
    slippage: spec.slippage,
    engineVersion: ENGINE_VERSION,
    symbols: strategy.symbols ?? null,
    capital: strategy.capital ?? null,
  };
  return db.transaction(async (tx) => {
    const job = await enqueueJob<T>(tx, { ...kind.job(id), userId });
    return kind.insert(tx, { ...columns, jobId: job.id });
  });
}
