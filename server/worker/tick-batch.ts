/**
 * Paper ticks of several deployments in ONE transaction (the aligned burst: every 1-minute candle of a live feed
 * closes at the same instant, so hundreds of deployments fall due together; docs/performance.md).
 *
 * Each deployment runs its own tick (`tickDeployment`, unchanged: its bars, its runner, its orders) up to its
 * transaction; instead of opening one, its body joins the batch's (`DeploymentDeps.paperTransaction`). Once every
 * member has joined or finished without a transaction, the batch opens one transaction and starts all the bodies
 * in it together: their statements are pipelined on the one connection (one write and one read for a round of
 * statements of every member, where each tick used to pay a round trip per statement and a COMMIT of its own).
 *
 * What still holds per deployment:
 * - The fence: each body's first statement locks its deployment row under this worker's epoch, as alone. The
 *   bodies are started in one synchronous loop and each issues its fence before its first await, so every fence
 *   of the batch reaches PostgreSQL before any order statement: deployment rows first, then accounts, orders and
 *   balances, as docs/orders.md "Locks" orders them.
 * - The kill switch FOR SHARE first: that fence statement reads the latches FOR SHARE, so the transaction's first
 *   statement takes the ROW SHARE lock on kill_switches that the engage's EXCLUSIVE lock waits for (latch.ts);
 *   every later member's read of its own latches happens under it.
 * - Atomicity: a deployment's tick commits whole or not at all (it is inside the one transaction).
 * - One member's failure does not lose the others' ticks: any member that fails rolls the batch back, and every
 *   member is then ticked again ALONE, in its own transaction (the failing one fails again on its own and takes
 *   its usual path: 'lost' for a lost lease, the runner's error path otherwise). A rolled-back tick changed
 *   nothing in Postgres nor in the runtime (`tickDeployment` updates `rt.row` only after its commit), and its
 *   repetition places the same orders with the same clientOrderIds.
 *
 * The caller keeps two deployments of one account out of a batch and out of concurrent batches: two members'
 * orders on one account would read the balances before each other's writes (the order path computes the new
 * balances in the worker from the locked rows).
 */
import type { Db, DbOrTx } from '@/db/client';
import { readCandleSeries } from '@/server/services/market-data/candles';
import { tickDeployment, type DeploymentDeps, type DeploymentRuntime, type TickResult } from '@/server/services/deployments';

/** The batch's transaction was rolled back (a member failed, or the commit did): the member is ticked again alone. */
export class TickBatchRolledBack extends Error {
  constructor(readonly reason: unknown) {
    super(`the batch of paper ticks was rolled back: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'TickBatchRolledBack';
  }
}

interface Member {
  body: (tx: DbOrTx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** What happened to one member of a batch. */
export interface BatchOutcome {
  rt: DeploymentRuntime;
  result: PromiseSettledResult<TickResult>;
  /** ticked alone after the batch was rolled back */
  retriedAlone: boolean;
}

/**
 * Ticks `runtimes` (paper deployments of distinct accounts) together: their transactions as one (file comment).
 * Resolves once every member has its outcome; never rejects.
 */
export async function tickPaperBatch(db: Db, runtimes: readonly DeploymentRuntime[], deps: DeploymentDeps = {}): Promise<BatchOutcome[]> {
  const joined: Member[] = [];
  let settledWithout = 0;
  let started = false;
  const maybeStart = () => {
    if (started || joined.length + settledWithout < runtimes.length) return;
    started = true;
    if (joined.length > 0) void runTransaction(db, joined);
  };
  // Members due together read the same candles (same series, same range): one read for all of them. Each member
  // copies the rows into its own bar buffer, so the shared series is only read.
  const reads = new Map<string, ReturnType<typeof readCandleSeries>>();
  const readCandles: typeof readCandleSeries = (on, key, startMs, endMs, options) => {
    const id = JSON.stringify([key.exchange, key.symbol, key.timeframe, startMs, endMs]);
    let read = reads.get(id);
    if (!read) reads.set(id, (read = readCandleSeries(on, key, startMs, endMs, options)));
    return read;
  };
  const attempts = runtimes.map(async (rt) => {
    let didJoin = false;
    const paperTransaction = <T>(body: (tx: DbOrTx) => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        didJoin = true;
        joined.push({ body, resolve: resolve as (value: unknown) => void, reject });
        maybeStart();
      });
    try {
      return await tickDeployment(db, rt, { ...deps, paperTransaction, readCandles });
    } finally {
      // A tick that ended before its transaction (nothing closed, a completed replay, an error) is not waited for.
      if (!didJoin) {
        settledWithout++;
        maybeStart();
      }
    }
  });
  const settled = await Promise.allSettled(attempts);
  return Promise.all(
    settled.map(async (result, i): Promise<BatchOutcome> => {
      const rt = runtimes[i]!;
      if (result.status === 'rejected' && result.reason instanceof TickBatchRolledBack) {
        const alone = await Promise.allSettled([tickDeployment(db, rt, deps)]);
        return { rt, result: alone[0]!, retriedAlone: true };
      }
      return { rt, result, retriedAlone: false };
    }),
  );
}

async function runTransaction(db: Db, members: readonly Member[]): Promise<void> {
  try {
    const values = await db.transaction(async (tx) => {
      // Started in one loop: each body sends its fence before its first await (file comment).
      const outcomes = await Promise.allSettled(members.map((member) => member.body(tx)));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw new TickBatchRolledBack(failed.reason);
      return outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value);
    });
    members.forEach((member, i) => member.resolve(values[i]));
  } catch (error) {
    const rolledBack = error instanceof TickBatchRolledBack ? error : new TickBatchRolledBack(error);
    for (const member of members) member.reject(rolledBack);
  }
}
