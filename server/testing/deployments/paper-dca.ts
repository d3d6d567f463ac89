/** Claimed paper DCA deployments on a test database, as a worker holds them (tick-batch and warm-up tests). */
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { deployments, strategies } from '@/db/schema';
import { createAccount } from '@/server/services/accounts';
import { claimDeployments, createDeployment, loadRuntime, type DeploymentRuntime } from '@/server/services/deployments';
import { createStrategyForUser } from '@/server/services/strategies/strategies';

/**
 * `count` DCA deployments (a buy on every candle) of binance BTC/USDT 1h (or `symbol`), each on its own paper account
 * (10,000 USDT), replaying from `startMs` at one candle a second, claimed by `workerId` and loaded as runtimes.
 */
export async function claimedPaperDcaDeployments(
  db: Db,
  options: { count: number; name: string; userId: string; startMs: number; clock: () => number; workerId?: string; symbol?: string },
): Promise<DeploymentRuntime[]> {
  const { userId, name } = options;
  const ids: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const accountId = (
      await createAccount(db, userId, { name: `${name} ${i}`, exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' })
    ).id;
    const strategy = await createStrategyForUser(db, userId, {
      name: `${name} ${i}`,
      type: 'dca',
      params: { intervalBars: 1, amountPerBuy: 10 },
      exchange: 'binance',
      symbol: options.symbol ?? 'BTC/USDT',
      timeframe: '1h',
    });
    await db.update(strategies).set({ status: 'backtested' }).where(eq(strategies.id, strategy.id));
    const feed = { type: 'replay' as const, start: options.startMs, speed: 3600 };
    ids.push((await createDeployment(db, userId, strategy.id, { accountId, mode: 'paper', feed }, { now: options.clock })).id);
  }
  const claimed = await claimDeployments(db, options.workerId ?? 'batch-test-worker', 1000, 60_000);
  const runtimes: DeploymentRuntime[] = [];
  for (const id of ids) {
    const [row] = await db.select().from(deployments).where(eq(deployments.id, id));
    runtimes.push(await loadRuntime(db, row!, Number(claimed.find((c) => c.id === id)!.lease_epoch)));
  }
  return runtimes;
}
