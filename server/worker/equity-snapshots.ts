import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { equitySnapshots, exchangeAccounts } from '@/db/schema';
import { defaultWorkerLoopSettings } from '@/server/env';
import type { Logger } from '@/server/logger';
import { PAPER_EXCHANGE } from '@/server/services/accounts';
import { DEFAULT_VALUATION_CURRENCY, snapshotAccountEquity, snapshotPaperAccounts, type PortfolioDeps, type SnapshotResult } from '@/server/services/portfolio';
import { runEveryInterval } from './interval-loop';
import type { WorkerLoop } from './loops';

export { snapshotAccountEquity };

export interface EquitySnapshotLoopOptions {
  /** Grid spacing (EQUITY_SNAPSHOT_INTERVAL_MS, default one minute). */
  intervalMs?: number;
  currency?: string;
  /** ms since epoch; tests move it. */
  clock?: () => number;
  deps?: PortfolioDeps;
}

export interface SnapshotPass {
  /** The grid time of this pass, ms UTC. */
  slotMs: number;
  written: number;
  /** Accounts whose snapshot for the slot already existed when the pass looked, or another worker wrote first. */
  skipped: number;
  failed: number;
}

/** The start of the grid slot containing `timeMs`: a multiple of the interval since the epoch (so 00:00 UTC is one). */
export const slotOf = (timeMs: number, intervalMs: number): number => Math.floor(timeMs / intervalMs) * intervalMs;

/** Paper accounts valued per statement batch in a pass (one balance read and one insert per batch). */
const PAPER_BATCH = 500;

/**
 * One pass: a snapshot at `slotMs` for every account that has none there yet. Two workers on the same slot
 * write each row once (the unique (account, time) index, ON CONFLICT DO NOTHING); the second mostly finds
 * nothing left to do. Paper accounts are valued in batches (snapshotPaperAccounts: a few statements for
 * hundreds of accounts, one mark per symbol), so a pass over 1,000 of them stays short and out of the way of the
 * deployment runner; real accounts one at a time: a slow exchange delays the pass, not the database.
 */
export async function snapshotAllAccounts(
  db: Db,
  slotMs: number,
  options: { currency?: string; deps?: PortfolioDeps; logger?: Logger; signal?: AbortSignal } = {},
): Promise<SnapshotPass> {
  const time = new Date(slotMs);
  const missing = await db
    .select({ id: exchangeAccounts.id, userId: exchangeAccounts.userId, exchange: exchangeAccounts.exchange })
    .from(exchangeAccounts)
    .leftJoin(equitySnapshots, and(eq(equitySnapshots.accountId, exchangeAccounts.id), eq(equitySnapshots.time, time)))
    .where(isNull(equitySnapshots.id));
  const pass: SnapshotPass = { slotMs, written: 0, skipped: 0, failed: 0 };
  const count = (result: SnapshotResult) => {
    if (result.error) {
      pass.failed++;
      options.logger?.debug(
        { accountId: result.accountId, kind: result.error.kind, reason: result.error.message },
        'equity snapshot skipped: the account could not be valued',
      );
    } else if (result.written) pass.written++;
    else pass.skipped++;
  };
  const paper = missing.filter((a) => a.exchange === PAPER_EXCHANGE);
  for (let i = 0; i < paper.length; i += PAPER_BATCH) {
    if (options.signal?.aborted) return pass;
    const batch = paper.slice(i, i + PAPER_BATCH);
    try {
      for (const result of await snapshotPaperAccounts(db, batch, time, { currency: options.currency, deps: options.deps })) count(result);
    } catch (error) {
      pass.failed += batch.length;
      options.logger?.warn({ accounts: batch.length, err: error }, 'equity snapshots of paper accounts failed');
    }
  }
  for (const { id } of missing.filter((a) => a.exchange !== PAPER_EXCHANGE)) {
    if (options.signal?.aborted) break;
    try {
      count(await snapshotAccountEquity(db, id, time, { currency: options.currency, deps: options.deps }));
    } catch (error) {
      pass.failed++;
      options.logger?.warn({ accountId: id, err: error }, 'equity snapshot failed');
    }
  }
  return pass;
}

/**
 * The equity snapshot loop: at every grid time (a multiple of `intervalMs` since the epoch) it writes each
 * account's equity (server/services/portfolio, docs/portfolio.md). The first pass runs at start for the
 * current slot. Any number of workers may run it: each (account, slot) is written once. A pass that outlasts
 * its slot makes the loop skip the slots it missed rather than catch up with stale times.
 */
export function createEquitySnapshotLoop(options: EquitySnapshotLoopOptions = {}): WorkerLoop {
  return {
    name: 'equity-snapshots',
    async start({ database, logger, signal, settings }) {
      const intervalMs = Math.max(options.intervalMs ?? (settings ?? defaultWorkerLoopSettings()).EQUITY_SNAPSHOT_INTERVAL_MS, 1_000);
      const clock = options.clock ?? Date.now;
      const currency = options.currency ?? DEFAULT_VALUATION_CURRENCY;
      return runEveryInterval(
        { logger, signal },
        // Wake just after the next grid time; a small offset keeps clock jitter from landing in the previous slot.
        () => slotOf(clock(), intervalMs) + intervalMs - clock() + 50,
        async () => {
          const slotMs = slotOf(clock(), intervalMs);
          const pass = await snapshotAllAccounts(database.db, slotMs, { currency, deps: options.deps, logger, signal });
          if (pass.failed > 0) logger.info({ ...pass, slot: new Date(slotMs).toISOString() }, 'equity snapshots written; some accounts could not be valued');
        },
        'equity snapshot pass failed; retrying at the next slot',
      );
    },
  };
}
