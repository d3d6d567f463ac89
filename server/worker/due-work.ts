/**
 * What the deployment runner (deployment-runner.ts) does between claiming and ticking: which due deployments a free
 * lane takes next, and the balance rows a claimed paper deployment gets ahead of its first order.
 */
import type { Db } from '@/db/client';
import type { Logger } from '@/server/logger';
import { PAPER_EXCHANGE } from '@/server/services/accounts';
import type { DeploymentRuntime } from '@/server/services/deployments';
import { ensureBalanceRows } from '@/server/services/orders';

export interface DueWorkState {
  /** deployments ticking now (in any lane) */
  readonly inFlight: ReadonlySet<string>;
  /** paper accounts with a deployment ticking now */
  readonly accountsInFlight: ReadonlySet<string>;
  /** paper deployments ticked in one transaction at most */
  readonly maxBatch: number;
  /** lanes ticking at once */
  readonly lanes: number;
  /** whether a deployment may tick in a batch (paper, not a script) */
  readonly batchable: (rt: DeploymentRuntime) => boolean;
}

/**
 * The next work for a free lane: the most overdue deployment alone when it cannot be batched; otherwise a batch of
 * batchable due deployments, most overdue first, of an even share of what is due per lane (at most maxBatch), at most
 * one per paper account and none of an account already in flight (two orders on one account in one transaction would
 * each compute the balances from rows read before the other's write). Empty when nothing is due.
 */
export function pickDueWork(runtimes: Iterable<DeploymentRuntime>, state: DueWorkState, now = Date.now()): DeploymentRuntime[] {
  const due: DeploymentRuntime[] = [];
  for (const rt of runtimes) if (rt.nextDueMs <= now && !state.inFlight.has(rt.id)) due.push(rt);
  if (due.length === 0) return [];
  due.sort((a, b) => a.nextDueMs - b.nextDueMs);
  if (!state.batchable(due[0]!)) return [due[0]!];
  const size = Math.min(state.maxBatch, Math.ceil(due.length / state.lanes));
  const batch: DeploymentRuntime[] = [];
  const accounts = new Set<string>();
  for (const rt of due) {
    if (batch.length === size) break;
    if (!state.batchable(rt) || state.accountsInFlight.has(rt.account.id) || accounts.has(rt.account.id)) continue;
    batch.push(rt);
    accounts.add(rt.account.id);
  }
  return batch;
}

/**
 * A paper deployment's balance rows (each of its symbols' base and quote) exist before its first tick, as a manual
 * order creates its missing ones before its transaction: the tick's orders then lock existing rows only, on the
 * order path's one statement, instead of creating them inside the tick (3 more statements, each ticked deployment's
 * first order, all in the first burst after a start). Not needed for correctness: on failure the first order
 * creates them as before.
 */
export async function ensurePaperBalances(db: Db, rt: DeploymentRuntime, logger: Logger): Promise<void> {
  if (rt.account.exchange !== PAPER_EXCHANGE) return;
  const assets = new Set<string>();
  for (const symbol of rt.row.strategy.symbols ?? [rt.row.strategy.symbol]) {
    const [base, quote, extra] = symbol.split('/');
    if (base && quote && base !== quote && extra === undefined) assets.add(base).add(quote);
  }
  if (assets.size === 0) return;
  await ensureBalanceRows(db, rt.account.id, [...assets]).catch((error: unknown) =>
    logger.warn({ deploymentId: rt.id, err: error }, 'paper balance rows not created ahead; the first order creates them'),
  );
}

/** Runs fn over items, at most `width` at a time. */
export async function forEachConcurrently<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
