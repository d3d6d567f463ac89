import { and, desc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { orders, signals } from '@/db/schema';
import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { findOwnedDeployment } from '@/server/services/deployments/deployments';
import { signalSecretInfo } from './secret';
import { toSignalView, type SignalWebhookView } from './views';

/** The deployment's webhook (path, secret prefix) and its last `limit` signals, newest first, each with its order's current status. */
export async function listSignals(db: DbOrTx, userId: string, deploymentId: string, limit = 50): Promise<SignalWebhookView> {
  const deployment = await findOwnedDeployment(db, userId, deploymentId);
  const rows = await db
    .select()
    .from(signals)
    .where(and(eq(signals.deploymentId, deploymentId), eq(signals.userId, userId)))
    .orderBy(desc(signals.receivedAt), desc(signals.id))
    .limit(Math.min(Math.max(limit, 1), 200));
  const orderIds = rows.map((r) => r.orderId).filter((id): id is string => id !== null);
  const statuses = new Map(
    orderIds.length
      ? (
          await db
            .select({ id: orders.id, status: orders.status })
            .from(orders)
            .where(and(inArray(orders.id, orderIds), eq(orders.userId, userId)))
        ).map((o) => [o.id, o.status])
      : [],
  );
  return {
    deploymentId,
    path: `/api/v1/signals/${deploymentId}`,
    secret: isSignalStrategyType(deployment.strategy.type) ? await signalSecretInfo(db, deploymentId) : null,
    signals: rows.map((r) => toSignalView(r, r.orderId ? (statuses.get(r.orderId) ?? null) : null)),
  };
}
