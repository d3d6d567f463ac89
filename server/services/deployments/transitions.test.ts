import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_STATES as STORED_STATES, deployments, strategies } from '@/db/schema';
import { DEPLOYMENT_STATES } from '@/server/core/deployments';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { EVENTS_CHANNEL, parseAppEvent, type AppEvent } from '@/server/services/events';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createDeployment, pauseDeployment } from './deployments';
import { claimDeployments } from './leases';
import { transitionDeployment } from './transitions';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

let t: TestDatabase;
let userId: string;
const rows = fixtureRows('btc-usd-1h').slice(0, 300);
const events: AppEvent[] = [];
let unlisten: () => Promise<void>;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'states', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
  const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => {
    const event = parseAppEvent(payload);
    if (event) events.push(event);
  });
  unlisten = () => listener.unlisten();
}, 60_000);

afterAll(async () => {
  await unlisten?.();
  await t?.destroy();
});

async function runningDeployment(name: string) {
  const accountId = (await createAccount(t.db, userId, { name, exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' })).id;
  const strategy = await createDeployableStrategy(t.db, userId, {
    name,
    type: 'sma_crossover',
    params: { fastPeriod: 5, slowPeriod: 20 },
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  const created = await createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', feed: { type: 'replay', start: rows[0]![0], speed: 3600 } });
  return { id: created.id, strategyId: strategy.id };
}

const load = async (id: string) => (await t.db.select().from(deployments).where(eq(deployments.id, id)))[0]!;
const strategyStatus = async (id: string) => (await t.db.select({ status: strategies.status }).from(strategies).where(eq(strategies.id, id)))[0]!.status;
const announced = (deploymentId: string, state: string) => events.some((e) => e.kind === 'deployment' && e.deploymentId === deploymentId && e.state === state);

describe('transitionDeployment', () => {
  it('stores exactly the states of the table', () => {
    expect([...STORED_STATES], 'db/schema and server/core/deployments list the same states').toEqual([...DEPLOYMENT_STATES]);
  });

  it("applies a worker's halt only under its epoch, revoking the lease, pausing the strategy and announcing it", async () => {
    const { id, strategyId } = await runningDeployment('halt');
    const [claimed] = (await claimDeployments(t.db, 'w1', 1000, 60_000)).filter((r) => r.id === id);
    const epoch = Number(claimed!.lease_epoch);
    const row = await load(id);

    const stale = await transitionDeployment(t.db, row, { event: 'risk_halt', reason: 'breaker', now: Date.now(), epoch: epoch - 1 });
    expect(stale, 'a runner whose lease moved on writes nothing').toBeNull();
    expect((await load(id)).state, 'still running').toBe('running');

    const halted = await transitionDeployment(t.db, row, { event: 'risk_halt', reason: 'max drawdown reached', now: Date.now(), epoch });
    expect([halted?.state, halted?.stateReason], 'paused with the reason').toEqual(['paused', 'max drawdown reached']);
    expect([halted?.leaseOwner, halted?.leaseEpoch], 'the lease is revoked and the epoch raised').toEqual([null, epoch + 1]);
    expect(halted?.feedClock, 'the replay clock is frozen').not.toBeNull();
    expect(await strategyStatus(strategyId), "the strategy's lifecycle follows").toBe('paused');
    await expect.poll(() => announced(id, 'paused'), { message: 'the new state is announced at the commit' }).toBe(true);
  });

  it('writes nothing for a pair outside the table, even when the caller holds an old copy of the row', async () => {
    const { id, strategyId } = await runningDeployment('outside');
    const runningCopy = await load(id);
    await pauseDeployment(t.db, userId, id);
    const before = await load(id);
    expect(await transitionDeployment(t.db, before, { event: 'replay_end', reason: 'x', now: Date.now() }), 'a paused deployment does not complete').toBeNull();
    expect(
      await transitionDeployment(t.db, runningCopy, { event: 'risk_halt', reason: 'x', now: Date.now() }),
      'the update is conditional on the state as stored now',
    ).toBeNull();
    expect(await load(id), 'the row is untouched').toEqual(before);

    const stopped = await transitionDeployment(t.db, runningCopy, { event: 'stop', reason: 'stopped by the user', now: Date.now() });
    expect([stopped?.state, stopped?.endedAt instanceof Date], 'stop applies from paused too, and a final state records its end').toEqual(['stopped', true]);
    expect(await strategyStatus(strategyId), 'the strategy is stopped').toBe('stopped');
    expect(await transitionDeployment(t.db, stopped!, { event: 'resume', reason: null, now: Date.now() }), 'nothing leaves a final state').toBeNull();
  });
});
