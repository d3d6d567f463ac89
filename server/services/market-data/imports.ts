/**
 * Imports from an exchange (ccxt fetchOHLCV, paginated within the configured rate limits) as jobs of
 * type `market-data.import` on the Postgres job queue.
 *
 * The job fetches only what is MISSING in [startMs, endMs): before the first stored candle, the holes
 * between stored candles, and after the last one. So it is resumable by construction: a retried or
 * re-claimed job (its worker died) recomputes the missing ranges and continues after the last candle it
 * stored. "Fill gaps" is the same job over [first stored, last stored]. A canceled import stops between
 * pages (the runner's progress call throws once the user asked) and keeps what it stored.
 */
import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { isUuid } from '@/server/core/ids';
import { AppError } from '@/server/core/errors';
import { timeframeToMs } from '@/server/core/timeframe';
import type { CcxtExchange } from '@/server/exchange/ccxt-adapter';
import { isExchangeError } from '@/server/exchange/errors';
import { MARKET_DATA_IMPORT_JOB, type JobContext, type JobPayload } from '@/server/services/jobs/contract';
import { reserveAttempt, throttleKey, type ThrottleWindow } from '@/server/services/auth/throttle';
import { enqueueJob, getJobForUser, getSharedJob, listActiveJobs, listJobsForUser, requestJobCancel, type Job } from '@/server/services/jobs/queue';
import { candleRange, upsertCandles, type SeriesKey } from './candles';
import { assertEnabledExchange, isUnreachable, marketDataExchange } from './exchange';
import { assertSeriesKey } from './series-key';
import type { ImportResult, ImportView } from './views';

export { MARKET_DATA_IMPORT_JOB };
/** Largest import one job may be asked for, in candles (about 19 years of 1m candles). */
export const MAX_IMPORT_CANDLES = 10_000_000;

export interface ImportRequest extends SeriesKey {
  /** Inclusive, ms UTC. */
  startMs: number;
  /** Exclusive, ms UTC (clamped to now: only closed candles are imported). */
  endMs: number;
}

function validateImportRequest(input: ImportRequest, nowMs: number): ImportRequest {
  const key = assertSeriesKey(input);
  assertEnabledExchange(key.exchange);
  const step = timeframeToMs(key.timeframe);
  const issues = [];
  if (!Number.isSafeInteger(input.startMs) || input.startMs < 0) issues.push({ field: 'start', message: 'must be a time at or after 1970-01-01' });
  if (!Number.isSafeInteger(input.endMs)) issues.push({ field: 'end', message: 'must be a time' });
  else if (input.endMs <= input.startMs) issues.push({ field: 'end', message: 'must be after start' });
  else if (input.startMs >= nowMs) issues.push({ field: 'start', message: 'must be in the past' });
  else if ((Math.min(input.endMs, nowMs) - input.startMs) / step > MAX_IMPORT_CANDLES)
    issues.push({ field: 'end', message: `the range holds more than ${MAX_IMPORT_CANDLES.toLocaleString('en')} ${key.timeframe} candles; import it in parts` });
  if (issues.length > 0) throw AppError.validation(issues);
  return { ...key, startMs: input.startMs, endMs: input.endMs };
}

/** New imports one user may queue per hour (joining a running import is free). */
export const IMPORTS_PER_USER_PER_HOUR = 20;

export interface StartImportOptions {
  /** The per-user throttle (default: IMPORTS_PER_USER_PER_HOUR per hour); tests move its clock. */
  throttle?: { limit: number } & ThrottleWindow;
}

/**
 * Queues an import for any signed-in user: candles are shared, so one import serves everyone.
 *
 * Deduplicated: a request whose range a queued or running import of the same series already covers
 * joins it (the answer is that import, `joined: true`) instead of fetching the same candles twice. The
 * check and the insert run under a transaction-scoped advisory lock on the series, so two concurrent
 * requests cannot both queue. Throttled: each NEW import reserves one unit of the user's allowance
 * (auth_throttles, key `import:user:<id>`); over it is a 429 with Retry-After. Joining costs nothing.
 */
export async function startImport(db: Db, userId: string, input: ImportRequest, nowMs = Date.now(), options: StartImportOptions = {}): Promise<ImportView> {
  const request = validateImportRequest(input, nowMs);
  const throttle = options.throttle ?? { limit: IMPORTS_PER_USER_PER_HOUR, windowMs: 3_600_000 };
  // A range reaching into the future is only fetched up to now: compare what will really be fetched.
  const step = timeframeToMs(request.timeframe);
  const wantedEnd = Math.min(request.endMs, Math.ceil(nowMs / step) * step);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`market-data.import|${request.exchange}|${request.symbol}|${request.timeframe}`}))`);
    const covering = (await listActiveJobs(tx, MARKET_DATA_IMPORT_JOB)).find((job) => {
      const p = job.payload as Partial<ImportRequest>;
      return (
        p.exchange === request.exchange &&
        p.symbol === request.symbol &&
        p.timeframe === request.timeframe &&
        Number(p.startMs) <= request.startMs &&
        Number(p.endMs) >= wantedEnd
      );
    });
    if (covering) return { ...toImportView(covering), joined: true };
    await reserveAttempt(
      tx,
      [{ key: throttleKey('import', 'user', userId), limit: throttle.limit }],
      throttle,
      `too many imports: at most ${throttle.limit} new imports per ${Math.round(throttle.windowMs / 60_000)} minutes; try again later`,
    );
    const job = await enqueueJob(tx, { type: MARKET_DATA_IMPORT_JOB, payload: { ...request }, userId, maxAttempts: 3 });
    return toImportView(job);
  });
}

/**
 * One import's status and progress. Any signed-in user may follow any import (candles are shared and
 * a joined import belongs to whoever queued it first); the view names no user.
 */
export async function getImport(db: DbOrTx, jobId: string): Promise<ImportView> {
  if (!isUuid(jobId)) throw AppError.notFound('import');
  const job = await getSharedJob(db, jobId, MARKET_DATA_IMPORT_JOB).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'NOT_FOUND') throw AppError.notFound('import');
    throw error;
  });
  return toImportView(job);
}

/** An import of yours (for cancelling): someone else's is NOT_FOUND. */
async function getOwnImport(db: DbOrTx, jobId: string, userId: string): Promise<ImportView> {
  if (!isUuid(jobId)) throw AppError.notFound('import');
  const job = await getJobForUser(db, jobId, userId).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'NOT_FOUND') throw AppError.notFound('import');
    throw error;
  });
  if (job.type !== MARKET_DATA_IMPORT_JOB) throw AppError.notFound('import');
  return toImportView(job);
}

/**
 * Cancels one of your imports: a queued one at once; a running one stops between two pages (at its
 * next progress report) and keeps every candle it stored. A finished import is a CONFLICT.
 */
export async function cancelImport(db: Db, jobId: string, userId: string): Promise<ImportView> {
  const view = await getOwnImport(db, jobId, userId);
  if (view.status !== 'queued' && view.status !== 'running') {
    throw new AppError('CONFLICT', `the import is ${view.status}; only a queued or running one can be canceled`);
  }
  return toImportView(await requestJobCancel(db, jobId, userId));
}

export async function listImports(db: DbOrTx, userId: string, limit = 20): Promise<ImportView[]> {
  return (await listJobsForUser(db, userId, [MARKET_DATA_IMPORT_JOB], limit)).map(toImportView);
}

function toImportView(job: Job): ImportView {
  const p = job.payload as Partial<ImportRequest>;
  return {
    id: job.id,
    status: job.status,
    exchange: String(p.exchange ?? ''),
    symbol: String(p.symbol ?? ''),
    timeframe: String(p.timeframe ?? ''),
    startMs: Number(p.startMs ?? 0),
    endMs: Number(p.endMs ?? 0),
    progress: job.progress,
    progressMessage: job.progressMessage,
    cancelRequested: job.cancelRequested && job.status === 'running',
    result: (job.result as ImportResult | null) ?? null,
    error: job.error,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt ? job.finishedAt.toISOString() : null,
    joined: false,
  };
}

// ---------------------------------------------------------------------------------------------
// The job

/** [from, to) ranges of candle open times in [startMs, endMs) that are not stored, ascending. */
export async function missingRanges(db: DbOrTx, key: SeriesKey, startMs: number, endMs: number): Promise<Array<{ from: number; to: number }>> {
  const step = timeframeToMs(key.timeframe);
  const start = Math.ceil(startMs / step) * step;
  const end = Math.ceil(endMs / step) * step;
  if (end <= start) return [];
  const rows = await db.execute<{ from_ms: string; to_ms: string }>(sql`
    with present as (
      select time from candles
      where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe}
        and time >= ${start} and time < ${end}
    ),
    edges as (
      select coalesce(lag(time) over (order by time) + ${step}, ${start}::bigint) as from_ms, time as to_ms from present
      union all
      select coalesce((select max(time) + ${step} from present), ${start}::bigint), ${end}::bigint
    )
    select from_ms, to_ms from edges where to_ms > from_ms order by from_ms`);
  return rows.map((r) => ({ from: Number(r.from_ms), to: Number(r.to_ms) }));
}

export type ImportJobContext = JobContext<JobPayload<typeof MARKET_DATA_IMPORT_JOB>>;

export interface ImportJobDependencies {
  /** The exchange client for an id; tests point it at the Binance test server. */
  exchangeFor?: (exchangeId: string) => Pick<CcxtExchange, 'fetchOhlcvHistory'>;
  now?: () => number;
  /** Candles per request (default: the exchange's maximum). */
  pageLimit?: number;
}

/** The `market-data.import` job handler (registered in server/worker/loops.ts). */
export function createImportJobHandler(deps: ImportJobDependencies = {}) {
  const exchangeFor = deps.exchangeFor ?? ((id: string) => marketDataExchange(id));
  const now = deps.now ?? Date.now;
  return {
    async run(context: ImportJobContext): Promise<Record<string, unknown>> {
      const { payload } = context;
      const key = assertSeriesKey(payload);
      const step = timeframeToMs(key.timeframe);
      // Only closed candles: the one still forming opens at floor(now) - ... so stop at floor(now / step) * step.
      const endMs = Math.min(payload.endMs, Math.floor(now() / step) * step);
      const ranges = await missingRanges(context.db, key, payload.startMs, endMs);
      const missingBefore = ranges.reduce((sum, r) => sum + (r.to - r.from) / step, 0);
      const result: ImportResult = { inserted: 0, updated: 0, unchanged: 0, fetched: 0, rejected: 0, missingBefore };
      const stored = await candleRange(context.db, key);
      await context.progress(0, missingBefore === 0 ? 'nothing missing' : `${missingBefore.toLocaleString('en')} candles missing in ${ranges.length} range(s)`);
      if (missingBefore === 0) return { ...result };

      const exchange = exchangeFor(key.exchange);
      let coveredBefore = 0;
      try {
        for (const range of ranges) {
          let rejectedInRange = 0;
          for await (const page of exchange.fetchOhlcvHistory(key.symbol, key.timeframe, range.from, range.to, {
            signal: context.signal,
            ...(deps.pageLimit ? { pageLimit: deps.pageLimit } : {}),
            onProgress: (p) => {
              rejectedInRange = p.rejected;
            },
          })) {
            const counts = await upsertCandles(context.db, key, page);
            result.inserted += counts.inserted;
            result.updated += counts.updated;
            result.unchanged += counts.unchanged;
            result.fetched += page.length;
            const last = page[page.length - 1]![0];
            const covered = coveredBefore + (last + step - range.from) / step;
            await context.progress(covered / missingBefore, `${result.fetched.toLocaleString('en')} candles stored, up to ${new Date(last).toISOString()}`);
          }
          result.rejected += rejectedInRange;
          coveredBefore += (range.to - range.from) / step;
        }
      } catch (error) {
        throw describeExchangeFailure(error, key.exchange);
      }
      await context.progress(1, `done: ${result.inserted} new, ${result.updated} updated${stored ? '' : ' (first import of this series)'}`);
      return { ...result };
    },
    /** An unreachable exchange is worth another attempt later (the queue backs off); a refusal is not. */
    isRetryable(error: unknown): boolean {
      // An abort means this worker is shutting down: the job goes back to the queue and resumes.
      return error instanceof ExchangeUnreachableError || (error instanceof Error && error.name === 'AbortError');
    },
  };
}

/** The exchange could not be reached (offline, DNS, timeout, 5xx, rate limited). */
export class ExchangeUnreachableError extends Error {
  override readonly name = 'ExchangeUnreachableError';
}

function describeExchangeFailure(error: unknown, exchangeId: string): unknown {
  if (isUnreachable(error))
    return new ExchangeUnreachableError(`exchange unreachable: could not get candles from ${exchangeId} (${(error as Error).message.slice(0, 300)})`);
  if (isExchangeError(error)) return new Error(`${exchangeId} refused the request: ${error.message.slice(0, 300)}`);
  return error;
}
