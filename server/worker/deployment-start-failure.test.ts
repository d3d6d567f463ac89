import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployments, strategies } from '@/db/schema';
import { logger } from '@/server/logger';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { createDeployment } from '@/server/services/deployments';
import { EVENTS_CHANNEL, parseAppEvent, type AppEvent } from '@/server/services/events';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createDeploymentRunnerLoop } from './deployment-runner';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
}, 60_000);
afterAll(() => t?.destroy());

it('fails a deployment it cannot start through the table: under its epoch, stopping the strategy and announcing it', async () => {
  const rows = fixtureRows('btc-usd-1h').slice(0, 100);
  const userId = (await registerUser(t.db, { username: 'unstartable', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
  const accountId = (await createAccount(t.db, userId, { name: 'paper', exchange: 'paper', balances: { USDT: '1000' } })).id;
  const strategy = await createDeployableStrategy(t.db, userId, {
    name: 'broken',
    type: 'sma_crossover',
    params: { fastPeriod: 5, slowPeriod: 20 },
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  const deployment = await createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', feed: { type: 'replay', start: rows[0]![0], speed: 3600 } });
  // Parameters the strategy no longer accepts (as after a change of its rules): the runner cannot build it.
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, deployment.id));
  await t.db
    .update(deployments)
    .set({ strategy: { ...row!.strategy, params: { fastPeriod: 50, slowPeriod: 20 } } })
    .where(eq(deployments.id, deployment.id));

  const events: AppEvent[] = [];
  const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => {
    const event = parseAppEvent(payload);
    if (event?.kind === 'deployment' && event.deploymentId === deployment.id) events.push(event);
  });
  const controller = new AbortController();
  const stop = await createDeploymentRunnerLoop({ claimMs: 50 }).start({ database: t, workerId: 'w-fail', logger, signal: controller.signal });
  try {
    await expect
      .poll(async () => (await t.db.select().from(deployments).where(eq(deployments.id, deployment.id)))[0]!.state, { timeout: 10_000 })
      .toBe('failed');
  } finally {
    controller.abort();
    await stop();
  }
  const [failed] = await t.db.select().from(deployments).where(eq(deployments.id, deployment.id));
  expect(failed!.stateReason, 'the reason names the cause').toMatch(/^could not start: /);
  expect([failed!.leaseOwner, failed!.endedAt instanceof Date], 'no lease, and an end time').toEqual([null, true]);
  expect(failed!.leaseEpoch, 'the claim raised the epoch once, the failure once more').toBe(row!.leaseEpoch + 2);
  const [s] = await t.db.select({ status: strategies.status }).from(strategies).where(eq(strategies.id, strategy.id));
  expect(s!.status, 'the strategy is stopped, so it can be deployed again').toBe('stopped');
  await expect.poll(() => events.some((e) => e.kind === 'deployment' && e.state === 'failed'), { message: 'the failure is announced' }).toBe(true);
  await listener.unlisten();
});
