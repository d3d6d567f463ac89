import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, deployments, fills, orders, strategies } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { logger } from '@/server/logger';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import {
  claimDeployments,
  createDeployment,
  disposeRuntime,
  getDeployment,
  loadRuntime,
  tickDeployment,
  type DeploymentRuntime,
} from '@/server/services/deployments';
import { upsertCandles } from '@/server/services/market-data/candles';
import { addScriptVersion, createScriptForUser } from '@/server/services/scripts/scripts';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createDeploymentRunnerLoop } from './deployment-runner';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const rows: OhlcvRow[] = fixtureRows('btc-usd-1h').slice(0, 600);
const PARAMS = { fastPeriod: 5, slowPeriod: 20, stopLossPct: 2, takeProfitPct: 4 };
const SMA = SCRIPT_TEMPLATES.find((s) => s.type === 'sma_crossover')!.source;

let t: TestDatabase;
let userId: string;
let now = Date.UTC(2026, 0, 1);
const clock = () => now;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'script-deployer', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
}, 60_000);
afterAll(() => t?.destroy());

/** A script whose decision on bar 30 and after runs `body` (before that: no decision). */
function failingScript(body: string): string {
  return `import { defineStrategy } from '@cryptobot/sdk';
export default defineStrategy({
  name: 'fails',
  description: 'fails from bar 30 on',
  parameters: {},
  create: () => ({ warmup: 0, accumulates: false, fixedEntryQuote: null, reset() {}, onBar(ctx: any): any { if (ctx.index >= 30) { ${body} } return null; } }) as any,
});`;
}

async function scriptVersion(name: string, source: string): Promise<{ scriptId: string; type: string; hash: string }> {
  const script = await createScriptForUser(t.db, userId, { name });
  const saved = await addScriptVersion(t.db, userId, script.id, source);
  return { scriptId: script.id, type: saved.type, hash: saved.hash };
}

/** A backtested strategy of `type`, deployed in paper mode on a replay of the stored candles from their first. */
async function deployed(name: string, type: string, params: Record<string, unknown>, speed: number): Promise<string> {
  const accountId = (await createAccount(t.db, userId, { name, exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' })).id;
  const s = await createDeployableStrategy(t.db, userId, { name, type, params, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' });
  const d = await createDeployment(t.db, userId, s.id, { accountId, mode: 'paper', feed: { type: 'replay', start: rows[0]![0], speed } }, { now: clock });
  return d.id;
}

/** Claims the deployment as a worker would (raising the epoch) and loads its runtime (a script's isolate). */
async function claim(id: string): Promise<DeploymentRuntime> {
  await t.db.update(deployments).set({ leaseOwner: null, leaseExpiresAt: null }).where(eq(deployments.id, id));
  const mine = (await claimDeployments(t.db, 'test-worker', 1000, 60_000)).find((r) => r.id === id)!;
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, id));
  return loadRuntime(t.db, row!, Number(mine.lease_epoch));
}

async function fillsOf(deploymentId: string) {
  return t.db
    .select({ side: orders.side, quantity: fills.quantity, price: fills.price, fee: fills.fee, executedAt: fills.executedAt })
    .from(orders)
    .innerJoin(fills, eq(fills.orderId, orders.id))
    .where(eq(orders.deploymentId, deploymentId))
    .orderBy(asc(fills.executedAt), asc(fills.id));
}

describe('a paper deployment of a script', () => {
  it('trades exactly like the built-in it was written from, on the version pinned when deployed, across a worker restart', async () => {
    const v1 = await scriptVersion('sma as a script', SMA);
    const scripted = await deployed('scripted', v1.type, PARAMS, 36_000);
    const builtin = await deployed('built-in', 'sma_crossover', PARAMS, 36_000);
    const [row] = await t.db.select().from(deployments).where(eq(deployments.id, scripted));
    expect(row!.strategy.scriptHash, 'the deployment pins the version it was deployed with').toBe(v1.hash);

    let rts = [await claim(scripted), await claim(builtin)];
    for (let i = 0; i < 20; i++) {
      now += 1000;
      for (const rt of rts) expect((await tickDeployment(t.db, rt, { now: clock })).status).toBe('ok');
    }
    // The script gets a new version, one that throws on every decision: the running deployment keeps its own.
    const v2 = await addScriptVersion(t.db, userId, v1.scriptId, failingScript('throw new Error("version 2 runs");'));
    expect(v2.hash).not.toBe(v1.hash);
    // A second worker takes both over from Postgres alone (new runtimes, a new isolate loading the pinned version).
    for (const rt of rts) disposeRuntime(rt);
    rts = [await claim(scripted), await claim(builtin)];
    const statuses = new Map<string, string>();
    for (let i = 0; i < 200 && statuses.size < 2; i++) {
      now += 5000;
      for (const rt of rts) if (!statuses.has(rt.id) && (await tickDeployment(t.db, rt, { now: clock })).status === 'ended') statuses.set(rt.id, 'ended');
    }
    for (const rt of rts) disposeRuntime(rt);

    const [a, b] = [await getDeployment(t.db, userId, scripted, { now: clock }), await getDeployment(t.db, userId, builtin, { now: clock })];
    expect([a.state, b.state], 'both replays ran to their end').toEqual(['completed', 'completed']);
    const [mine, theirs] = [await fillsOf(scripted), await fillsOf(builtin)];
    expect(theirs.length, 'the built-in traded').toBeGreaterThan(5);
    expect(mine, "the script's fills are the built-in's, fill for fill").toEqual(theirs);
    expect(a.equity, 'and so is the equity').toBe(b.equity);
  }, 120_000);
});

describe('a script deployment whose decision fails', () => {
  it('fails through the transition table with the error visible, and the worker goes on with its other deployments', async () => {
    const throws = await scriptVersion('throws', failingScript('throw new Error("boom on bar " + ctx.index);'));
    const loops = await scriptVersion('loops', failingScript('for (;;) {}'));
    const speed = 3_600_000; // a thousand bars a second of wall time: the 600 stored bars replay in under a second
    // Prints on every decision, then throws on bar 250: the deployment keeps the latest 200 lines, up to the failure.
    const talks = await scriptVersion(
      'talks',
      failingScript('throw new Error("done talking");')
        .replace('{ if (ctx.index >= 30) {', "{ log('bar', ctx.index); if (ctx.index >= 250) {")
        .replace('import { defineStrategy }', 'import { defineStrategy, log }'),
    );
    const talker = await deployed('talker', talks.type, {}, speed);
    const thrower = await deployed('thrower', throws.type, {}, speed);
    const looper = await deployed('looper', loops.type, {}, speed);
    const healthy = await deployed('healthy', 'sma_crossover', PARAMS, speed);

    const controller = new AbortController();
    const stop = await createDeploymentRunnerLoop({ claimMs: 50 }).start({ database: t, workerId: 'w-scripts', logger, signal: controller.signal });
    const states = async () =>
      Promise.all([thrower, looper, healthy, talker].map(async (id) => (await t.db.select().from(deployments).where(eq(deployments.id, id)))[0]!.state));
    try {
      await expect.poll(states, { timeout: 30_000, interval: 100 }).toEqual(['failed', 'failed', 'completed', 'failed']);
    } finally {
      controller.abort();
      await stop();
    }
    const reasonOf = async (id: string) => (await t.db.select().from(deployments).where(eq(deployments.id, id)))[0]!.stateReason;
    expect(await reasonOf(thrower), "the script's own error, and the bar it failed on").toBe(
      `the script failed on the bar of ${new Date(rows[30]![0]).toISOString()}: Error: boom on bar 30`,
    );
    expect(await reasonOf(looper), 'the time limit').toBe(
      `the script failed on the bar of ${new Date(rows[30]![0]).toISOString()}: the script ran longer than its time limit (1 s) and was stopped`,
    );
    const failedAlerts = await t.db.select().from(alerts).where(eq(alerts.kind, 'deployment_failed'));
    expect(failedAlerts.map((a) => a.deploymentId).sort(), 'each failure raised an alert').toEqual([thrower, looper, talker].sort());
    const talked = (await t.db.select().from(deployments).where(eq(deployments.id, talker)))[0]!.scriptLog!;
    expect(talked.lines.at(-1), 'the lines up to the failing decision are kept').toBe('bar 250');
    expect(talked.lines, 'the latest 200 lines, in order').toEqual(Array.from({ length: 200 }, (_, k) => `bar ${51 + k}`));
    expect(talked.dropped, 'the older ones are counted').toBeGreaterThan(0);
    expect((await t.db.select().from(deployments).where(eq(deployments.id, healthy)))[0]!.scriptLog, 'a built-in prints nothing').toBeNull();
    const statuses = await t.db.select({ id: strategies.id, status: strategies.status }).from(strategies).where(eq(strategies.userId, userId));
    expect(
      statuses.every((s) => s.status !== 'paper'),
      'a failed deployment stops its strategy',
    ).toBe(true);
  }, 60_000);
});
