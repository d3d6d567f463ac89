/**
 * Closing a stopped pair-list deployment's positions: one market sale per held pair through the orders service
 * (stopDeployment calls it after the stop revoked the lease), each with its own clientOrderId (deployment, symbol,
 * last step, 'close'). Paper replays sell at each pair's last processed close, as close-out.ts does for one symbol.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { queryRows } from '@/db/raw';
import { deployments } from '@/db/schema';
import { createStrategy } from '@/server/core/strategies/registry';
import { timeframeToMs } from '@/server/core/timeframe';
import { PortfolioMachine, type PortfolioMachineState } from '@/server/core/trading';
import { findOwnedAccount, PAPER_EXCHANGE } from '@/server/services/accounts';
import { executeOrder } from '@/server/services/orders';
import { fixedPrice, machineFill, numberToDecimalString } from './machine-orders';
import type { DeploymentDeps, DeploymentRow } from './model';
import { portfolioClientOrderId } from './portfolio-orders';

/** Sells every held pair at market; returns the first sale's order id (null: nothing was held). */
export async function closePortfolioPositions(
  db: Db,
  userId: string,
  row: DeploymentRow,
  state: PortfolioMachineState,
  deps: DeploymentDeps = {},
): Promise<string | null> {
  const account = await findOwnedAccount(db, userId, row.accountId);
  const barMs = timeframeToMs(row.strategy.timeframe);
  const closed = structuredClone(state);
  const machine = new PortfolioMachine(
    closed,
    closed.pairs.map(() => createStrategy(row.strategy.type, row.strategy.params)),
    {
      capital: Number(row.capitalQuote),
      feeRate: Number(account.feeRate ?? '0.001'),
      slippage: Number(account.slippage ?? '0.0005'),
      rules: row.strategy.capital!,
    },
  );
  let first: string | null = null;
  for (const [p, pair] of state.pairs.entries()) {
    if (!(pair.quantity > 0)) continue;
    const input = {
      accountId: account.id,
      symbol: pair.symbol,
      side: 'sell' as const,
      type: 'market' as const,
      quantity: numberToDecimalString(pair.quantity),
      clientOrderId: portfolioClientOrderId(row.id, pair.symbol, row.lastBarTime ?? 0, 'close'),
      deploymentId: row.id,
    };
    if (account.exchange !== PAPER_EXCHANGE) {
      first ??= (await executeOrder(db, userId, account, input, { deps }))!.order.id;
      continue;
    }
    const id = await db.transaction(async (tx) => {
      // The deployment row first, as a tick takes it (docs/orders.md, "Locks"), then the order and the balances.
      await queryRows(tx, 'select id from deployments where id = $1::uuid for update', [row.id]);
      const prices =
        row.feed.type !== 'live' && pair.lastClose !== null && row.lastBarTime !== null
          ? fixedPrice(pair.lastClose, row.lastBarTime + barMs, `${row.feed.type} ${row.strategy.exchange} ${row.strategy.timeframe}`)
          : undefined;
      const { order, fills } = (await executeOrder(db, userId, account, input, { tx, prices, fitQuantity: true, deps }))!;
      const fill = order.status === 'filled' ? machineFill(order.symbol, fills, 'sell', row.lastBarTime === null ? Date.now() : row.lastBarTime + barMs) : null;
      if (fill) {
        machine.applyFill(p, fill, 'close');
        machine.markClose();
        await tx
          .update(deployments)
          .set({ runner: closed as unknown as Record<string, unknown> })
          .where(eq(deployments.id, row.id));
      }
      return order.id;
    });
    first ??= id;
  }
  return first;
}
