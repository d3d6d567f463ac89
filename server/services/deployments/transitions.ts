/**
 * The one writer of a deployment's state (docs/trading.md "States"): the table of
 * server/core/deployments applied in a conditional update that also revokes the lease (epoch + 1), the
 * strategy's lifecycle event, and the `deployment` event, in one transaction.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { deployments } from '@/db/schema';
import { deploymentStatesFrom, isFinalDeploymentState, nextDeploymentState, type DeploymentEventType } from '@/server/core/deployments';
import { deploymentEvent, notifyEvent } from '@/server/services/events';
import type { StrategyEvent } from '@/server/services/strategies/lifecycle';
import { applyStrategyEvent } from '@/server/services/strategies/strategies';
import { feedTimeAt, type DeploymentRow } from './model';

/** The strategy's lifecycle event (services/strategies/lifecycle.ts) for each deployment event. */
function strategyEventOf(event: DeploymentEventType, mode: DeploymentRow['mode']): StrategyEvent {
  switch (event) {
    case 'pause':
    case 'kill_switch':
    case 'risk_halt':
      return 'pause';
    case 'resume':
      return mode === 'paper' ? 'resume_paper' : 'resume_live';
    case 'stop':
    case 'replay_end':
    // A deployment that could not start no longer trades: its strategy is stopped, so it can be deployed again.
    case 'start_failed':
    // A strategy that failed decides nothing more: its strategy is stopped too (the user fixes it and deploys again).
    case 'strategy_failed':
      return 'stop';
  }
}

export interface DeploymentTransition {
  event: DeploymentEventType;
  /** What the row's stateReason says (null clears it). */
  reason: string | null;
  /** ms since epoch, UTC. */
  now: number;
  /**
   * The lease epoch of the worker that writes: the write happens only while it is still the deployment's
   * (fencing). Absent for the user's and the kill switch's writes, which revoke whatever lease there is.
   */
  epoch?: number;
}

/**
 * Moves `row` by `transition.event` if the table allows it from the state the row is in NOW (the update is
 * conditional on it, and on the epoch when one is given): the lease is revoked (epoch + 1), the replay or
 * simulated clock freezes (or restarts, on resume), a final state records `endedAt`; then, in the same
 * transaction, the strategy's lifecycle event and the `deployment` event (delivered at the commit).
 * Returns the updated row, or null when nothing changed (another state now, the pair is not in the table,
 * or the epoch moved on). Runs in the caller's transaction when given one.
 */
export async function transitionDeployment(db: DbOrTx, row: DeploymentRow, transition: DeploymentTransition): Promise<DeploymentRow | null> {
  const to = nextDeploymentState(row.state, transition.event);
  if (to === null) return null;
  const { now, epoch } = transition;
  const feedTime = feedTimeAt(row, now);
  const clock = row.feed.type === 'live' || feedTime === null ? null : { feedTimeMs: feedTime, wallMs: now };
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(deployments)
      .set({
        state: to,
        stateReason: transition.reason,
        leaseOwner: null,
        leaseExpiresAt: null,
        leaseEpoch: sql`${deployments.leaseEpoch} + 1`,
        feedClock: clock,
        updatedAt: new Date(now),
        ...(isFinalDeploymentState(to) ? { endedAt: new Date(now) } : {}),
      })
      .where(
        and(
          eq(deployments.id, row.id),
          inArray(deployments.state, deploymentStatesFrom(transition.event, to)),
          epoch === undefined ? undefined : eq(deployments.leaseEpoch, epoch),
        ),
      )
      .returning();
    if (!updated) return null;
    await applyStrategyEvent(tx, row.userId, row.strategyId, strategyEventOf(transition.event, row.mode));
    await notifyEvent(tx, deploymentEvent({ userId: row.userId, deploymentId: row.id, state: to }));
    return updated;
  });
}
