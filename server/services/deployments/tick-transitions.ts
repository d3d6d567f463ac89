/** The deployment state changes a tick makes: paused by a risk rule or the kill switch, a replay completed. */
import { and, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { deployments } from '@/db/schema';
import { raiseAlert } from '@/server/services/alerts';
import { notifyEvent } from '@/server/services/events';
import { applyStrategyEvent } from '@/server/services/strategies/strategies';
import { feedTimeAt } from './model';
import type { DeploymentRuntime } from './runtime';

export async function pauseForRisk(db: DbOrTx, rt: DeploymentRuntime, reason: string, now: number): Promise<void> {
  const feedTime = feedTimeAt(rt.row, now);
  await db
    .update(deployments)
    .set({ state: 'paused', stateReason: reason, leaseOwner: null, leaseExpiresAt: null, leaseEpoch: sql`${deployments.leaseEpoch} + 1`, feedClock: feedTime === null || rt.row.feed.type === 'live' ? null : { feedTimeMs: feedTime, wallMs: now } })
    .where(eq(deployments.id, rt.id));
  await applyStrategyEvent(db, rt.userId, rt.row.strategyId, 'pause');
}

export async function completeReplay(db: Db, rt: DeploymentRuntime, now: number): Promise<void> {
  await db.transaction(async (tx) => {
    const [done] = await tx
      .update(deployments)
      .set({ state: 'completed', stateReason: 'the replay reached the last stored candle', leaseOwner: null, leaseExpiresAt: null, leaseEpoch: sql`${deployments.leaseEpoch} + 1`, endedAt: new Date(now), updatedAt: new Date(now) })
      .where(and(eq(deployments.id, rt.id), eq(deployments.leaseEpoch, rt.epoch), eq(deployments.state, 'running')))
      .returning({ id: deployments.id });
    if (!done) return;
    await applyStrategyEvent(tx, rt.userId, rt.row.strategyId, 'stop');
    await raiseAlert(tx, { userId: rt.userId, deploymentId: rt.id, accountId: rt.account.id, kind: 'deployment_completed', severity: 'info', message: `Replay of ${rt.row.strategy.symbol} ${rt.row.strategy.timeframe} completed; the position is kept.`, dedupeKey: `completed:${rt.id}` });
    await notifyEvent(tx, { kind: 'deployment', userId: rt.userId, deploymentId: rt.id, state: 'completed' });
  });
}
