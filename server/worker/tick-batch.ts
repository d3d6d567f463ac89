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
 * The statements every member sends alike go out once for the batch (SharedStatements below, SQL in
 * services/deployments/paper-batch.ts): the fences, as the transaction's first statement, and the state writes
 * with the notifications, as its last. The members' orders too (SQL in services/orders/order-batch-sql.ts): the
 * new orders of every member in ONE insert and their outcomes in ONE statement, per round (a member with a second
 * order in its tick sends it in the next round). A batch of 50 is then about six statements, where a tick alone is
 * five: fewer statements to build, write, parse and execute, which is what a burst's CPU goes to.
 *
 * What still holds per deployment:
 * - The fence: the batch's first statement locks every member's deployment row under this worker's epoch, as
 *   each tick's fence does alone. The bodies are started in one synchronous loop and each asks for its fence
 *   before its first await, so the one fence statement reaches PostgreSQL before any order statement: deployment
 *   rows first, then accounts, orders and balances, as docs/orders.md "Locks" orders them.
 * - The kill switch FOR SHARE first: that fence statement reads the latches of every member's user FOR SHARE, so
 *   the transaction's first statement takes the ROW SHARE lock on kill_switches that the engage's EXCLUSIVE lock
 *   waits for (latch.ts); each member gets its own user's latches and the global one from it.
 * - Its state write is fenced by its epoch as alone; its notifications are sent in its own order, before the
 *   state writes, and delivered at the commit.
 * - The kill switch in the orders' insert: it reads the latches of every ordering member's user FOR SHARE again (as
 *   each order's insert does alone) and inserts nothing for a halted user; that member's order fails as alone.
 * - Idempotent clientOrderIds: the insert skips a clientOrderId its account already holds, and that member finds
 *   the stored order as alone (a retry).
 * - Atomicity: a deployment's tick commits whole or not at all (it is inside the one transaction).
 * - One member's failure does not lose the others' ticks: any member that fails rolls the batch back, and every
 *   member is then ticked again ALONE, in its own transaction (the failing one fails again on its own and takes
 *   its usual path: 'lost' for a lost lease, the runner's error path otherwise). A rolled-back tick changed
 *   nothing in Postgres nor in the runtime (`tickDeployment` updates `rt.row` only after its commit), and its
 *   repetition places the same orders with the same clientOrderIds.
 *
 * The caller keeps two deployments of one account out of a batch and out of concurrent batches: two members'
 * orders on one account would read the balances before each other's writes (the order path computes the new
 * balances in the worker from the locked rows). Two orders of one account in one round's insert fail the batch
 * (each member is then ticked alone).
 */
import type { Db, DbOrTx } from '@/db/client';
import { readCandleSeries } from '@/server/services/market-data/candles';
import {
  fenceAll,
  finishAll,
  tickDeployment,
  type DeploymentDeps,
  type DeploymentRuntime,
  type TickFence,
  type TickFinish,
  type TickResult,
} from '@/server/services/deployments';
import { insertOrders, writeOutcomes, type OrderInsertRequest, type OrderOutcomeRequest } from '@/server/services/orders';

/** The batch's transaction was rolled back (a member failed, or the commit did): the member is ticked again alone. */
export class TickBatchRolledBack extends Error {
  constructor(readonly reason: unknown) {
    super(`the batch of paper ticks was rolled back: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'TickBatchRolledBack';
  }
}

interface Member {
  rt: DeploymentRuntime;
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
  const shared = new SharedStatements();
  let settledWithout = 0;
  let started = false;
  const maybeStart = () => {
    if (started || joined.length + settledWithout < runtimes.length) return;
    started = true;
    if (joined.length > 0) void runTransaction(db, joined, shared);
  };
  // Members due together read the same candles (same series, same range): one read for all of them. Each member
  // copies the rows into its own bar buffer, so the shared series is only read.
  const reads = new Map<string, ReturnType<typeof readCandleSeries>>();
  const readCandles: typeof readCandleSeries = (on, key, startMs, endMs, options) => {
    const id = JSON.stringify([key.exchange, key.symbol, key.timeframe, startMs, endMs]);
    let read = reads.get(id);
    if (!read) reads.set(id, (read = (deps.readCandles ?? readCandleSeries)(on, key, startMs, endMs, options)));
    return read;
  };
  const attempts = runtimes.map(async (rt) => {
    let didJoin = false;
    const paperTransaction = <T>(body: (tx: DbOrTx) => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        didJoin = true;
        joined.push({ rt, body, resolve: resolve as (value: unknown) => void, reject });
        maybeStart();
      });
    const paperBatch = {
      fence: () => shared.fence(rt),
      finish: (finish: TickFinish) => shared.finish(rt, finish),
      orders: {
        insert: (request: OrderInsertRequest) => shared.order({ kind: 'insert', request }),
        outcome: (request: OrderOutcomeRequest) => shared.order({ kind: 'outcome', request }),
      },
    };
    try {
      return await tickDeployment(db, rt, { ...deps, paperTransaction, readCandles, paperBatch });
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

interface Deferred<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

type OrderRequest = { kind: 'insert'; request: OrderInsertRequest } | { kind: 'outcome'; request: OrderOutcomeRequest };

/**
 * The statements every member sends, sent once for the batch (services/deployments/paper-batch.ts and
 * services/orders/order-batch-sql.ts):
 * - the fences, asked by each body before its first await and sent together as the transaction's first statement;
 * - the orders' statements, in rounds: a round goes out once every open member (not yet finished or settled) waits
 *   for one of its orders' statements, as ONE insert of all the new orders and ONE statement of all the outcomes
 *   (outcomes first); a member's next order waits for the next round;
 * - the last writes, sent together once every body has asked for them or ended without.
 * A member awaiting anything else (its own statements on the transaction) holds the round back until it asks or ends.
 */
class SharedStatements {
  private fences: Array<{ rt: DeploymentRuntime } & Deferred<TickFence>> | null = [];
  private finishes: Array<{ rt: DeploymentRuntime; finish: TickFinish } & Deferred<boolean>> = [];
  private orders: Array<OrderRequest & Deferred<Array<Record<string, unknown>>>> = [];
  private finishing = new Set<DeploymentRuntime>();
  private open = 0;
  private failed = false;
  private tx: DbOrTx | null = null;

  fence(rt: DeploymentRuntime): Promise<TickFence> {
    const fences = this.fences;
    // A fence after the batch's would lock its deployment row after other members' accounts and balances.
    if (fences === null) return Promise.reject(new Error(`deployment ${rt.id}: its fence came after the batch's`));
    return new Promise((resolve, reject) => fences.push({ rt, resolve, reject }));
  }

  order(request: OrderRequest): Promise<Array<Record<string, unknown>>> {
    if (this.tx === null) return Promise.reject(new Error("an order's statement came before the batch's transaction"));
    return new Promise((resolve, reject) => {
      this.orders.push({ ...request, resolve, reject });
      this.maybeRound();
    });
  }

  finish(rt: DeploymentRuntime, finish: TickFinish): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.finishes.push({ rt, finish, resolve, reject });
      this.finishing.add(rt);
      this.open--;
      this.maybeRound();
      this.maybeFinish();
    });
  }

  /** Starts every member's body on `tx`; resolves with their outcomes once all have settled. */
  async run(tx: DbOrTx, members: readonly Member[]): Promise<Array<PromiseSettledResult<unknown>>> {
    this.tx = tx;
    this.open = members.length;
    // Started in one loop: each body asks for its fence before its first await (file comment).
    const bodies = members.map((member) =>
      member.body(tx).then(
        (value) => {
          this.settled(member.rt);
          return value;
        },
        (error: unknown) => {
          this.failed = true;
          this.settled(member.rt);
          throw error;
        },
      ),
    );
    const fences = this.fences!;
    this.fences = null;
    if (fences.length > 0) {
      fenceAll(
        tx,
        fences.map(({ rt }) => ({ id: rt.id, epoch: rt.epoch, userId: rt.userId })),
      ).then(
        (results) => fences.forEach((f, i) => f.resolve(results[i]!)),
        (error: unknown) => fences.forEach((f) => f.reject(error)),
      );
    }
    return Promise.allSettled(bodies);
  }

  private settled(rt: DeploymentRuntime): void {
    if (this.finishing.has(rt)) return;
    this.open--;
    this.maybeRound();
    this.maybeFinish();
  }

  /** Sends a round of order statements once every open member waits for one (class comment). */
  private maybeRound(): void {
    if (this.orders.length === 0 || this.orders.length < this.open) return;
    const round = this.orders;
    this.orders = [];
    // A member failed: the batch rolls back, and nothing more is sent in it.
    if (this.failed) return round.forEach((r) => r.reject(new Error('another member of the batch failed')));
    const tx = this.tx!;
    const outcomes = round.filter((r): r is Extract<OrderRequest, { kind: 'outcome' }> & Deferred<Array<Record<string, unknown>>> => r.kind === 'outcome');
    const inserts = round.filter((r): r is Extract<OrderRequest, { kind: 'insert' }> & Deferred<Array<Record<string, unknown>>> => r.kind === 'insert');
    if (outcomes.length > 0) {
      answerEach(
        writeOutcomes(
          tx,
          outcomes.map((r) => r.request),
        ),
        outcomes,
      );
    }
    if (inserts.length > 0) {
      // Two orders of one account in one statement would both be computed from the same balances: the caller keeps
      // such deployments apart (file comment); should it not, the batch rolls back and each is ticked alone.
      const accounts = new Set(inserts.map((r) => r.request.values.accountId));
      if (accounts.size < inserts.length) return inserts.forEach((r) => r.reject(new Error('two orders of one account in one batch')));
      answerEach(
        insertOrders(
          tx,
          inserts.map((r) => r.request),
        ),
        inserts,
      );
    }
  }

  private maybeFinish(): void {
    if (this.open > 0 || this.finishes.length === 0) return;
    const finishes = this.finishes;
    this.finishes = [];
    // A member failed: the batch rolls back, and nothing more is sent in it.
    if (this.failed) return finishes.forEach((f) => f.reject(new Error('another member of the batch failed')));
    finishAll(
      this.tx!,
      finishes.map(({ rt, finish }) => ({ id: rt.id, epoch: rt.epoch, finish })),
    ).then(
      (held) => finishes.forEach((f, i) => f.resolve(held[i]!)),
      (error: unknown) => finishes.forEach((f) => f.reject(error)),
    );
  }
}

async function runTransaction(db: Db, members: readonly Member[], shared: SharedStatements): Promise<void> {
  try {
    const values = await db.transaction(async (tx) => {
      const outcomes = await shared.run(tx, members);
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

/** One statement's answers, the i-th to the i-th request; its failure to every one of them. */
function answerEach<T>(statement: Promise<T[]>, requests: ReadonlyArray<Deferred<T>>): void {
  statement.then(
    (answers) => answers.forEach((answer, i) => requests[i]!.resolve(answer)),
    (error: unknown) => requests.forEach((r) => r.reject(error)),
  );
}
