/**
 * A paper deployment of the SMA crossover template written as a user script (binance BTC/USDT 1h), claimed and loaded
 * as the worker holds it: the script runs in its sandbox (the deployment chart tests).
 */
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { deployments } from '@/db/schema';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { createAccount } from '@/server/services/accounts';
import { claimDeployments, createDeployment, loadRuntime, type DeploymentRuntime } from '@/server/services/deployments';
import { addScriptVersion, createScriptForUser } from '@/server/services/scripts/scripts';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

export async function claimedScriptSmaDeployment(
  db: Db,
  options: {
    userId: string;
    params: { fastPeriod: number; slowPeriod: number };
    feed: { type: 'replay' | 'simulated'; start: number; speed: number };
    clock: () => number;
    workerId: string;
  },
): Promise<{ type: string; deploymentId: string; rt: DeploymentRuntime }> {
  const { userId } = options;
  const script = await createScriptForUser(db, userId, { name: 'sma script' });
  const type = (await addScriptVersion(db, userId, script.id, SCRIPT_TEMPLATES.find((s) => s.type === 'sma_crossover')!.source)).type;
  const accountId = (await createAccount(db, userId, { name: 'paper', exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' }))
    .id;
  const strategy = await createDeployableStrategy(db, userId, {
    name: 'sma script',
    type,
    params: options.params,
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  const deploymentId = (await createDeployment(db, userId, strategy.id, { accountId, mode: 'paper', feed: options.feed }, { now: options.clock })).id;
  const claimed = await claimDeployments(db, options.workerId, 1000, 60_000);
  const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
  const rt = await loadRuntime(db, row!, Number(claimed.find((r) => r.id === deploymentId)!.lease_epoch));
  return { type, deploymentId, rt };
}
