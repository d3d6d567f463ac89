/** The deployment state changes a tick makes: paused by a risk rule or the kill switch, a replay completed, a strategy failed. */
import type { Db, DbOrTx } from '@/db/client';
import { raiseAlert } from '@/server/services/alerts';
import type { DeploymentRow } from './model';
import type { DeploymentRuntime } from './runtime';
import { transitionDeployment } from './transitions';

/**
 * Pauses the deployment for a risk rule (a circuit breaker's verdict: buy-verdict.ts) or the kill switch, through the
 * transition table under the writer's lease epoch (a signal deployment, which no worker leases, passes its row's).
 */
export async function pauseForRisk(db: DbOrTx, rt: Pick<DeploymentRuntime, 'row' | 'epoch'>, reason: string, now: number): Promise<DeploymentRow | null> {
  return transitionDeployment(db, rt.row, { event: 'risk_halt', reason, now, epoch: rt.epoch });
}

export async function completeReplay(db: Db, rt: DeploymentRuntime, now: number): Promise<void> {
  await transitionWithAlert(
    db,
    rt,
    { event: 'replay_end', reason: 'the replay reached the last stored candle', now },
    {
      kind: 'deployment_completed',
      severity: 'info',
      message: `Replay of ${rt.row.strategy.symbol} ${rt.row.strategy.timeframe} completed; the position is kept.`,
      dedupeKey: `completed:${rt.id}`,
    },
  );
}

/**
 * The strategy's decision failed (a script threw, or went over its time or memory limit): the deployment fails, under
 * the runner's lease epoch, with the reason for the user, and an alert says so. The tick's own writes were not made.
 */
export async function failForStrategy(db: Db, rt: DeploymentRuntime, reason: string, now: number): Promise<void> {
  await transitionWithAlert(
    db,
    rt,
    { event: 'strategy_failed', reason, now },
    {
      kind: 'deployment_failed',
      severity: 'critical',
      message: `The deployment of ${rt.row.strategy.symbol} ${rt.row.strategy.timeframe} failed: ${reason}`,
      dedupeKey: `failed:${rt.id}`,
    },
  );
}

/** A transition of the runner's deployment under its lease epoch and, when it was made, its alert, in one transaction. */
async function transitionWithAlert(
  db: Db,
  rt: DeploymentRuntime,
  transition: { event: 'replay_end' | 'strategy_failed'; reason: string; now: number },
  alert: { kind: 'deployment_completed' | 'deployment_failed'; severity: 'info' | 'critical'; message: string; dedupeKey: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await transitionDeployment(tx, rt.row, { ...transition, epoch: rt.epoch }))) return;
    await raiseAlert(tx, { userId: rt.userId, deploymentId: rt.id, accountId: rt.account.id, ...alert });
  });
}
