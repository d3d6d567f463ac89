/**
 * Closing a stopped deployment's position: one market sale of it through the orders service (called by
 * stopDeployment, after the stop revoked the lease). Paper replays sell at their last processed close; paper on
 * live data at the latest price; a live account at the exchange's market.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { queryRows } from '@/db/raw';
import { deployments } from '@/db/schema';
import { deriveClientOrderId } from '@/server/core/orders';
import { createStrategy } from '@/server/core/strategies/registry';
import { timeframeToMs } from '@/server/core/timeframe';
import { StrategyMachine, type MachineState } from '@/server/core/trading';
import { findOwnedAccount, PAPER_EXCHANGE } from '@/server/services/accounts';
import { executeOrder } from '@/server/services/orders';
import { numberToDecimalString, fixedPrice, machineFill } from './machine-orders';
import type { DeploymentDeps, DeploymentRow } from './model';

/** Sells the deployment's position at market; returns the order's id (null: no order was placed). */
export async function closeDeploymentPosition(
  db: Db,
  userId: string,
  row: DeploymentRow,
  state: MachineState,
  deps: DeploymentDeps = {},
): Promise<string | null> {
  const account = await findOwnedAccount(db, userId, row.accountId);
  const clientOrderId = deriveClientOrderId({ deploymentId: row.id, barTimeMs: row.lastBarTime ?? 0, intent: 'close' });
  const input = {
    accountId: account.id,
    symbol: row.strategy.symbol,
    side: 'sell' as const,
    type: 'market' as const,
    quantity: numberToDecimalString(state.quantity),
    clientOrderId,
    deploymentId: row.id,
  };
  if (account.exchange !== PAPER_EXCHANGE) return (await executeOrder(db, userId, account, input, { deps }))!.order.id;
  return db.transaction(async (tx) => {
    // The deployment row first, as a tick takes it (docs/orders.md, "Locks"), then the order and the balances.
    await queryRows(tx, 'select id from deployments where id = $1::uuid for update', [row.id]);
    const barMs = timeframeToMs(row.strategy.timeframe);
    const prices =
      row.feed.type !== 'live' && state.lastClose !== null && row.lastBarTime !== null
        ? fixedPrice(state.lastClose, row.lastBarTime + barMs, `${row.feed.type} ${row.strategy.exchange} ${row.strategy.timeframe}`)
        : undefined;
    const { order, fills } = (await executeOrder(db, userId, account, input, { tx, prices, fitQuantity: true, deps }))!;
    const fill = order.status === 'filled' ? machineFill(order.symbol, fills, 'sell', row.lastBarTime === null ? Date.now() : row.lastBarTime + barMs) : null;
    if (fill) {
      const closed = structuredClone(state);
      new StrategyMachine(closed, createStrategy(row.strategy.type, row.strategy.params), {
        capital: Number(row.capitalQuote),
        feeRate: Number(account.feeRate ?? '0.001'),
        slippage: Number(account.slippage ?? '0.0005'),
      }).applyFill(fill, 'close');
      closed.equity = closed.cash;
      await tx
        .update(deployments)
        .set({ runner: closed as unknown as Record<string, unknown> })
        .where(eq(deployments.id, row.id));
    }
    return order.id;
  });
}
