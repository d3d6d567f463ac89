/**
 * Deployments: a strategy trading an account, run by the worker (docs/trading.md).
 * This module holds what users do (list, pause, resume, stop; deploying is ./create-deployment.ts); the worker side is ./tick.ts and
 * server/worker/deployment-runner.ts. The kill switch (server/services/kill-switch) pauses through
 * pauseRunningDeployments; while it is engaged, deploying and resuming are refused (409).
 *
 * Pause, stop and the kill switch raise the deployment's lease epoch and clear its lease in the same
 * statement that changes its state, so a runner that is mid-bar cannot write another order for it
 * (orders are written under a fencing check on that epoch).
 */
import { and, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { deployments, orders, type DeploymentState } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { isPortfolioState, type MachineState } from '@/server/core/trading';
import { findOwnedAccount, isUuid } from '@/server/services/accounts';
import { recordAudit } from '@/server/services/audit';
import { deploymentEvent, notifyEvent } from '@/server/services/events';
import { assertTradingAllowed } from '@/server/services/kill-switch/latch';
import { cancelOrder, OPEN_STATUSES, type OrderDeps } from '@/server/services/orders';
import { getStrategyRow } from '@/server/services/strategies/strategies';
import { feedTimeAt, type DeploymentDeps, type DeploymentRow } from './model';
import { closeDeploymentPosition } from './close-out';
import { closePortfolioPositions } from './portfolio-close-out';
import { transitionDeployment } from './transitions';
import { withNames } from './deployment-view';
import { logger } from '@/server/logger';
import type { DeploymentView, StopResult } from './views';

export { feedTimeAt, type DeploymentDeps, type DeploymentRow };
// Deploying lives in ./create-deployment, the user's view of a row in ./deployment-view.
export { createDeployment, type CreateDeploymentInput } from './create-deployment';
export { toDeploymentView } from './deployment-view';

export async function listDeployments(
  db: DbOrTx,
  userId: string,
  filters: { strategyId?: string; state?: DeploymentState; accountId?: string } = {},
  deps: DeploymentDeps = {},
): Promise<DeploymentView[]> {
  const where = [eq(deployments.userId, userId)];
  // Filtering by another user's strategy or account is NOT_FOUND, as addressing it directly would be.
  if (filters.strategyId) {
    if (!isUuid(filters.strategyId)) throw AppError.notFound('strategy');
    await getStrategyRow(db, userId, filters.strategyId);
    where.push(eq(deployments.strategyId, filters.strategyId));
  }
  if (filters.accountId) {
    if (!isUuid(filters.accountId)) throw AppError.notFound('account');
    await findOwnedAccount(db, userId, filters.accountId);
    where.push(eq(deployments.accountId, filters.accountId));
  }
  if (filters.state) where.push(eq(deployments.state, filters.state));
  // A script's log (up to 200 lines) is the detail view's: a list of many script deployments would carry megabytes.
  const rows = await db
    .select({ ...getTableColumns(deployments), scriptLog: sql<null>`null` })
    .from(deployments)
    .where(and(...where))
    .orderBy(desc(deployments.createdAt), desc(deployments.id))
    .limit(500);
  return withNames(db, rows, (deps.now ?? Date.now)());
}

export async function findOwnedDeployment(db: DbOrTx, userId: string, id: string): Promise<DeploymentRow> {
  if (!isUuid(id)) throw AppError.notFound('deployment');
  const [row] = await db
    .select()
    .from(deployments)
    .where(and(eq(deployments.id, id), eq(deployments.userId, userId)))
    .limit(1);
  if (!row) throw AppError.notFound('deployment');
  return row;
}

export async function getDeployment(db: DbOrTx, userId: string, id: string, deps: DeploymentDeps = {}): Promise<DeploymentView> {
  const row = await findOwnedDeployment(db, userId, id);
  return (await withNames(db, [row], (deps.now ?? Date.now)()))[0]!;
}

export async function pauseDeployment(db: Db, userId: string, id: string, deps: DeploymentDeps = {}, reason = 'paused by the user'): Promise<DeploymentView> {
  const now = (deps.now ?? Date.now)();
  const row = await findOwnedDeployment(db, userId, id);
  if (row.state === 'paused') return getDeployment(db, userId, id, deps);
  const updated = await transitionDeployment(db, row, { event: 'pause', reason, now });
  if (!updated) throw new AppError('CONFLICT', `the deployment is ${row.state}: only a running deployment can be paused`);
  return (await withNames(db, [updated], now))[0]!;
}

export async function resumeDeployment(db: Db, userId: string, id: string, deps: DeploymentDeps = {}): Promise<DeploymentView> {
  const now = (deps.now ?? Date.now)();
  const row = await findOwnedDeployment(db, userId, id);
  if (row.state === 'running') return getDeployment(db, userId, id, deps);
  const updated = await db.transaction(async (tx) => {
    // First statement: the kill switch check that an engage cannot slip past (kill-switch/latch.ts).
    await assertTradingAllowed(tx, userId);
    const next = await transitionDeployment(tx, row, { event: 'resume', reason: null, now });
    if (!next) throw new AppError('CONFLICT', `the deployment is ${row.state}: only a paused deployment can be resumed`);
    return next;
  });
  return (await withNames(db, [updated], now))[0]!;
}

/** Cancels the deployment's resting orders; returns how many were canceled and what failed. */
async function cancelDeploymentOrders(db: Db, userId: string, deploymentId: string | null, deps: OrderDeps): Promise<{ canceled: number; failures: string[] }> {
  const where = [eq(orders.userId, userId), inArray(orders.status, ['open', 'partially_filled'])];
  if (deploymentId) where.push(eq(orders.deploymentId, deploymentId));
  const open = await db
    .select({ id: orders.id, clientOrderId: orders.clientOrderId })
    .from(orders)
    .where(and(...where));
  let canceled = 0;
  const failures: string[] = [];
  for (const order of open) {
    try {
      await cancelOrder(db, userId, order.id, deps);
      canceled++;
    } catch (error) {
      failures.push(`${order.clientOrderId}: ${error instanceof AppError ? error.message : 'cancel failed'}`);
      if (!(error instanceof AppError)) logger.warn({ orderId: order.id, err: error }, 'cancel during stop failed');
    }
  }
  return { canceled, failures };
}

/**
 * Stops a running or paused deployment: it will not trade again; its resting orders are canceled and, if
 * asked, its position is sold at market (paper: at the feed's current price; a replay: its last close).
 */
export async function stopDeployment(
  db: Db,
  userId: string,
  id: string,
  options: { closePosition?: boolean } = {},
  deps: DeploymentDeps = {},
): Promise<StopResult> {
  const now = (deps.now ?? Date.now)();
  const row = await findOwnedDeployment(db, userId, id);
  const stopped = await db.transaction(async (tx) => {
    const next = await transitionDeployment(tx, row, {
      event: 'stop',
      reason: options.closePosition ? 'stopped by the user; position closed' : 'stopped by the user',
      now,
    });
    if (!next) throw new AppError('CONFLICT', `the deployment is already ${row.state}`);
    await tx
      .update(deployments)
      .set({ closeOnStop: options.closePosition ?? false })
      .where(eq(deployments.id, id));
    await recordAudit(tx, { type: 'deployment.stopped', userId, details: { deploymentId: id, closePosition: options.closePosition ?? false } });
    return next;
  });
  const { canceled, failures } = await cancelDeploymentOrders(db, userId, id, deps);
  let closeOrderId: string | null = null;
  const runner = stopped.runner as unknown as MachineState | null;
  if (options.closePosition && isPortfolioState(stopped.runner) && stopped.runner.pairs.some((p) => p.quantity > 0)) {
    try {
      closeOrderId = await closePortfolioPositions(db, userId, stopped, stopped.runner, deps);
    } catch (error) {
      failures.push(`closing the positions: ${error instanceof AppError ? error.message : 'a sell order failed'}`);
      if (!(error instanceof AppError)) logger.warn({ deploymentId: id, err: error }, 'closing a stopped pair-list deployment position failed');
    }
  } else if (options.closePosition && runner && runner.quantity > 0) {
    try {
      closeOrderId = await closeDeploymentPosition(db, userId, stopped, runner, deps);
    } catch (error) {
      failures.push(`closing the position: ${error instanceof AppError ? error.message : 'the sell order failed'}`);
      if (!(error instanceof AppError)) logger.warn({ deploymentId: id, err: error }, 'closing a stopped deployment position failed');
    }
  }
  // The stop itself was announced at its commit; this one is for what came after (orders canceled, position sold).
  await notifyEvent(db, deploymentEvent({ userId, deploymentId: id, state: 'stopped', followUp: true }));
  return { deployment: await getDeployment(db, userId, id, deps), canceledOrders: canceled, closeOrderId, failures };
}

/**
 * Pauses every running deployment of `userId` (null: of every user) in the caller's transaction (the table's
 * `kill_switch` event: lease revoked, strategy paused, announced at the commit). The kill switch's engage
 * calls it; rows are locked in id order. Returns the paused deployments.
 */
export async function pauseRunningDeployments(tx: DbOrTx, userId: string | null, reason: string, now: number): Promise<DeploymentRow[]> {
  const where = userId === null ? eq(deployments.state, 'running') : and(eq(deployments.userId, userId), eq(deployments.state, 'running'));
  const running = await tx.select().from(deployments).where(where).orderBy(deployments.id).for('update');
  const paused: DeploymentRow[] = [];
  for (const row of running) {
    const next = await transitionDeployment(tx, row, { event: 'kill_switch', reason, now });
    if (next) paused.push(next);
  }
  return paused;
}

/** Open orders of a deployment (new, open, partially filled, unknown). */
export async function deploymentOpenOrderCount(db: DbOrTx, deploymentId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(orders)
    .where(and(eq(orders.deploymentId, deploymentId), inArray(orders.status, OPEN_STATUSES)));
  return row?.n ?? 0;
}
