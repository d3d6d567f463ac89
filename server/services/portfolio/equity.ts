/**
 * Equity over time: snapshots (one row per account and time, written by the worker's snapshot loop on a
 * fixed time grid, or by anyone after a fill) and the curve the dashboard draws from them.
 */
import { and, asc, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { equitySnapshots, exchangeAccounts, paperBalances } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { Decimal } from '@/server/core/money';
import { findOwnedAccount } from '@/server/services/accounts';
import { paperMarks } from './marks';
import {
  accountHoldings,
  AccountValuationError,
  DEFAULT_VALUATION_CURRENCY,
  equityOf,
  out,
  paperBalanceViews,
  paperPricesOf,
  type AccountFailure,
  type PortfolioDeps,
} from './valuation';
import type { EquityCurve } from './views';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface SnapshotResult {
  accountId: string;
  /** The snapshot's time, ISO. */
  time: string;
  /** False when a snapshot for (account, time) already existed (another worker wrote it) or the account is gone. */
  written: boolean;
  /** The equity computed now; null when the account could not be valued. */
  equity: string | null;
  error: AccountFailure | null;
}

function isForeignKeyViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | null)?.cause ?? (error as { code?: string } | null);
  return cause?.code === '23503';
}

/**
 * Values one account now and stores it as its equity at `time` (ON CONFLICT DO NOTHING on the unique
 * (account, time)): calling it twice for the same time writes one row. Not scoped by a user: for the
 * worker and services acting for the account's owner (the row's user id is written with it).
 * An account whose exchange is unreachable writes nothing and reports the error.
 */
export async function snapshotAccountEquity(
  db: DbOrTx,
  accountId: string,
  time: Date | number,
  options: { currency?: string; deps?: PortfolioDeps } = {},
): Promise<SnapshotResult> {
  const at = new Date(time);
  const currency = options.currency ?? DEFAULT_VALUATION_CURRENCY;
  const result = (written: boolean, equity: string | null, error: AccountFailure | null): SnapshotResult => ({
    accountId,
    time: at.toISOString(),
    written,
    equity,
    error,
  });
  const [row] = await db.select().from(exchangeAccounts).where(eq(exchangeAccounts.id, accountId)).limit(1);
  if (!row) throw AppError.notFound('account');
  let equity: Decimal;
  try {
    const { balances, marks } = await accountHoldings(db, row, options.deps);
    equity = (await equityOf(balances, marks, currency)).equity;
  } catch (error) {
    if (error instanceof AccountValuationError) return result(false, null, error.failure);
    throw error;
  }
  try {
    const inserted = await db
      .insert(equitySnapshots)
      .values({ userId: row.userId, accountId, time: at, currency, equity: out(equity) })
      .onConflictDoNothing({ target: [equitySnapshots.accountId, equitySnapshots.time] })
      .returning({ id: equitySnapshots.id });
    return result(inserted.length > 0, out(equity), null);
  } catch (error) {
    if (isForeignKeyViolation(error)) return result(false, out(equity), null); // deleted meanwhile
    throw error;
  }
}

/**
 * Snapshots of many paper accounts at `time` in a handful of statements, for the worker's pass: one read of
 * all their balance rows, one mark per symbol for the whole pass (paper accounts share one price feed), one
 * insert (ON CONFLICT DO NOTHING, as snapshotAccountEquity). Each equity is computed exactly as
 * snapshotAccountEquity computes it (the same balance views and equityOf). Returns one result per account.
 */
export async function snapshotPaperAccounts(
  db: DbOrTx,
  accounts: ReadonlyArray<{ id: string; userId: string }>,
  time: Date | number,
  options: { currency?: string; deps?: PortfolioDeps } = {},
): Promise<SnapshotResult[]> {
  if (accounts.length === 0) return [];
  const at = new Date(time);
  const currency = options.currency ?? DEFAULT_VALUATION_CURRENCY;
  const rows = await db
    .select({ accountId: paperBalances.accountId, asset: paperBalances.asset, free: paperBalances.free, used: paperBalances.used })
    .from(paperBalances)
    .where(
      inArray(
        paperBalances.accountId,
        accounts.map((a) => a.id),
      ),
    )
    .orderBy(asc(paperBalances.accountId), asc(paperBalances.asset));
  const rowsOf = new Map<string, typeof rows>();
  for (const row of rows) {
    const list = rowsOf.get(row.accountId);
    if (list) list.push(row);
    else rowsOf.set(row.accountId, [row]);
  }
  const marks = paperMarks(paperPricesOf(db, options.deps ?? {}));
  const valued = await Promise.all(
    accounts.map(async (account) => ({ account, equity: (await equityOf(paperBalanceViews(rowsOf.get(account.id) ?? []), marks, currency)).equity })),
  );
  // Only accounts that still exist (one deleted since the pass listed it is skipped, as snapshotAccountEquity does).
  const values = JSON.stringify(valued.map(({ account, equity }) => ({ user_id: account.userId, account_id: account.id, equity: out(equity) })));
  const inserted = await db.execute<{ account_id: string }>(sql`
    insert into equity_snapshots (user_id, account_id, time, currency, equity)
    select v.user_id, v.account_id, ${at.toISOString()}::timestamptz, ${currency}, v.equity
      from json_to_recordset(${values}::json) as v(user_id uuid, account_id uuid, equity numeric)
      join exchange_accounts a on a.id = v.account_id
    on conflict (account_id, time) do nothing
    returning account_id`);
  const written = new Set(inserted.map((r) => r.account_id));
  return valued.map(({ account, equity }) => ({
    accountId: account.id,
    time: at.toISOString(),
    written: written.has(account.id),
    equity: out(equity),
    error: null,
  }));
}

// ---- the curve -------------------------------------------------------------------------------------

/** Bucket sizes the curve chooses from: the smallest that keeps it within MAX_CURVE_POINTS. */
export const CURVE_STEPS_MS = [MINUTE_MS, 5 * MINUTE_MS, 15 * MINUTE_MS, 60 * MINUTE_MS, 4 * 60 * MINUTE_MS, DAY_MS, 7 * DAY_MS] as const;
export const MAX_CURVE_POINTS = 1500;
export const DEFAULT_CURVE_RANGE_MS = 30 * DAY_MS;
/** 7-day buckets × MAX_CURVE_POINTS: about 28 years. */
export const MAX_CURVE_RANGE_MS = CURVE_STEPS_MS.at(-1)! * MAX_CURVE_POINTS;

export interface EquityCurveInput {
  accountId?: string;
  /** ms since epoch, UTC; default `to` − 30 days. */
  from?: number;
  /** ms since epoch, UTC; default now. */
  to?: number;
  currency?: string;
}

/**
 * The user's equity over [from, to] in buckets (one account, or summed over all of them). Per account,
 * a bucket's value is its last snapshot in the bucket. Summing: a bucket is a point when at least one
 * account has a snapshot in it; an account with none there counts with its last value before (carried
 * forward), and an account whose first snapshot in the range is later is not counted until then.
 * Buckets where no account has a snapshot (the worker was down) are no points: the chart bridges them.
 */
export async function equityCurve(db: DbOrTx, userId: string, input: EquityCurveInput = {}, deps: Pick<PortfolioDeps, 'clock'> = {}): Promise<EquityCurve> {
  const to = input.to ?? (deps.clock ?? Date.now)();
  const from = input.from ?? to - DEFAULT_CURVE_RANGE_MS;
  const currency = input.currency ?? DEFAULT_VALUATION_CURRENCY;
  if (from >= to) throw AppError.validation([{ field: 'from', message: 'must be before to' }]);
  if (to - from > MAX_CURVE_RANGE_MS)
    throw AppError.validation([{ field: 'from', message: `the range may span at most ${Math.floor(MAX_CURVE_RANGE_MS / DAY_MS)} days` }]);
  if (input.accountId !== undefined) await findOwnedAccount(db, userId, input.accountId);
  const stepMs = CURVE_STEPS_MS.find((step) => (to - from) / step <= MAX_CURVE_POINTS) ?? CURVE_STEPS_MS.at(-1)!;

  // The interval is inlined (one of CURVE_STEPS_MS, never user text) so the SELECT and GROUP BY expressions are identical.
  const bucket = sql`date_bin(${sql.raw(`interval '${stepMs / 1000} seconds'`)}, ${equitySnapshots.time}, timestamptz '1970-01-01 00:00:00+00')`;
  const where: SQL[] = [
    eq(equitySnapshots.userId, userId),
    eq(equitySnapshots.currency, currency),
    gte(equitySnapshots.time, new Date(from)),
    lte(equitySnapshots.time, new Date(to)),
  ];
  if (input.accountId !== undefined) where.push(eq(equitySnapshots.accountId, input.accountId));
  const rows = await db
    .select({
      accountId: equitySnapshots.accountId,
      bucketMs: sql<string>`(extract(epoch from ${bucket}) * 1000)::bigint`,
      equity: sql<string>`(array_agg(${equitySnapshots.equity} order by ${equitySnapshots.time} desc))[1]`,
    })
    .from(equitySnapshots)
    .where(and(...where))
    .groupBy(equitySnapshots.accountId, bucket)
    .orderBy(asc(bucket));

  const lastByAccount = new Map<string, Decimal>();
  const points: EquityCurve['points'] = [];
  for (let i = 0; i < rows.length;) {
    const bucketMs = Number(rows[i]!.bucketMs);
    for (; i < rows.length && Number(rows[i]!.bucketMs) === bucketMs; i++) lastByAccount.set(rows[i]!.accountId, new Decimal(rows[i]!.equity));
    let total = new Decimal(0);
    for (const equity of lastByAccount.values()) total = total.plus(equity);
    points.push({ time: new Date(bucketMs).toISOString(), equity: out(total) });
  }
  return {
    accountId: input.accountId ?? null,
    currency,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    stepSeconds: stepMs / 1000,
    points,
  };
}
