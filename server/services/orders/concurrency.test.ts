/**
 * No burst of orders can hang the app (issue 12, item 1). A deliberately small pool (3 connections, as a web
 * instance on a serverless host has) takes bursts of 2 to 50 concurrent orders on fresh and used paper accounts,
 * mixed sides and assets, manual orders and deployment ticks together, with the default paper price source (a
 * query of the candles table). Before the fix, a burst of first orders in an asset hung the pool: each order's
 * transaction held the account's balance row and waited for a second pool connection for its price.
 *
 * Every request must settle (a watchdog of a minute per burst is a failure signal, not a timing assertion), with
 * a result or an AppError (4xx, or 503 for a database that could not serve it in time); a health-style query on
 * the same pool answers throughout; and afterwards every account's balances equal its starting balances plus its
 * fills, recomputed from the fills table.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@/db/client';
import { databaseUnavailableReason } from '@/db/errors';
import { deployments, paperBalances } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { createDeployment } from '@/server/services/deployments/deployments';
import { claimDeployments } from '@/server/services/deployments/leases';
import { loadRuntime, tickDeployment, type DeploymentRuntime } from '@/server/services/deployments';
import { checkHealth } from '@/server/services/system/health';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { placeOrder } from './orders';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const WATCHDOG_MS = 60_000;
const MINUTE = 60_000;

let t: TestDatabase;
/** The pool under test: small, so a transaction that waits for a second connection exhausts it at once. */
let pool: Database;
let userId: string;
const startingBalances = new Map<string, Record<string, string>>();
let accountSeq = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  pool = createDatabase(t.url, { max: 3, applicationName: 'cryptobot-test-burst' });
  userId = (await registerUser(t.db, { username: 'burst', password: 'correct horse battery' })).id;
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await t?.destroy();
});

async function paperAccount(balances: Record<string, string>): Promise<string> {
  const id = (await createAccount(t.db, userId, { name: `burst ${++accountSeq}`, exchange: 'paper', balances, feeRate: '0.001', slippage: '0.0005' })).id;
  startingBalances.set(id, balances);
  return id;
}

type Outcome = { ok: true } | { ok: false; code: string; status: string };

/** Settles `work` as an outcome; an error that is neither an AppError nor a database "not now" fails the test. */
async function outcomeOf(work: Promise<unknown>): Promise<Outcome> {
  try {
    await work;
    return { ok: true };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, code: error.code, status: error.message };
    const reason = databaseUnavailableReason(error);
    if (reason) return { ok: false, code: 'UNAVAILABLE', status: reason };
    throw error;
  }
}

/** Races each request against the watchdog: a request still pending after it means the app hung. */
async function settleAll(requests: Array<Promise<Outcome>>): Promise<Outcome[]> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a request did not settle within ${WATCHDOG_MS / 1000} s: the pool or a lock hung`)), WATCHDOG_MS);
  });
  try {
    return await Promise.race([Promise.all(requests), watchdog]);
  } finally {
    clearTimeout(timer);
  }
}

/** A health query on the same pool, over and over until `done` settles; resolves with how many answered. */
async function healthDuring(done: Promise<unknown>): Promise<number> {
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => {});
  let answered = 0;
  do {
    const report = await checkHealth(pool.db);
    expect(report.db, 'the health query answers during the burst').toBe('ok');
    answered++;
  } while (!finished);
  return answered;
}

/** paper_balances (free + used) of each asset, against the starting balances plus the account's fills. */
async function expectBalancesEqualFills(accountId: string): Promise<void> {
  const computed = await t.db.execute<{ asset: string; expected: string; actual: string }>(sql`
    with start(asset, amount) as (select key, value::numeric from jsonb_each_text(${JSON.stringify(startingBalances.get(accountId))}::jsonb)),
    moves(asset, amount) as (
      select split_part(o.symbol, '/', 1), case when o.side = 'buy' then f.quantity else -f.quantity end
        from fills f join orders o on o.id = f.order_id where f.account_id = ${accountId}
      union all
      select split_part(o.symbol, '/', 2), case when o.side = 'buy' then -(f.quantity * f.price) - f.fee else f.quantity * f.price - f.fee end
        from fills f join orders o on o.id = f.order_id where f.account_id = ${accountId}
      union all select asset, amount from start),
    expected as (select asset, sum(amount) as amount from moves group by asset)
    select coalesce(e.asset, b.asset) as asset, coalesce(e.amount, 0)::text as expected, coalesce(b.free + b.used, 0)::text as actual
      from expected e full join (select * from paper_balances where account_id = ${accountId}) b on b.asset = e.asset`);
  for (const row of computed) expect(Number(row.actual), `${row.asset} of account ${accountId}: balance = start + fills`).toBeCloseTo(Number(row.expected), 8);
  const reserved = await t.db
    .select()
    .from(paperBalances)
    .where(and(eq(paperBalances.accountId, accountId), sql`${paperBalances.used} <> 0`));
  expect(reserved, 'market orders leave nothing reserved').toEqual([]);
}

const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'] as const;
const QUANTITY: Record<(typeof SYMBOLS)[number], string> = { 'BTC/USDT': '0.001', 'ETH/USDT': '0.01', 'SOL/USDT': '0.1' };

/** The i-th order of a burst: mixed assets and sides (sells of an asset the account lacks are refused, 4xx-free). */
function orderOf(accountId: string, i: number, sides: 'buys' | 'mixed') {
  const symbol = SYMBOLS[i % SYMBOLS.length]!;
  const side = sides === 'buys' || i % 4 !== 3 ? ('buy' as const) : ('sell' as const);
  return { accountId, symbol, side, type: 'market' as const, quantity: QUANTITY[symbol] };
}

/** A running DCA deployment on the account (a buy every 1m candle of the simulated market), claimed. */
async function dcaDeployment(accountId: string, name: string, now: number): Promise<DeploymentRuntime> {
  const strategy = await createDeployableStrategy(t.db, userId, {
    name,
    type: 'dca',
    params: { intervalBars: 1, amountPerBuy: 10 },
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1m',
  });
  const deployment = await createDeployment(
    t.db,
    userId,
    strategy.id,
    { accountId, mode: 'paper', feed: { type: 'simulated' }, capitalQuote: '1000' },
    { now: () => now },
  );
  const claimed = (await claimDeployments(t.db, `burst-${name}`, 1000, 10 * MINUTE)).find((c) => c.id === deployment.id)!;
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, deployment.id));
  return loadRuntime(t.db, row!, Number(claimed.lease_epoch));
}

describe('concurrent bursts of paper orders on a pool of 3', () => {
  for (const size of [2, 5, 10, 20, 50]) {
    it(`${size} market buys at once on a new account holding only USDT: all answered, health answers, balances equal fills`, async () => {
      const accountId = await paperAccount({ USDT: '1000000' });
      const burst = settleAll(Array.from({ length: size }, (_, i) => outcomeOf(placeOrder(pool.db, userId, orderOf(accountId, i, 'buys')))));
      const [outcomes, healthAnswers] = await Promise.all([burst, healthDuring(burst)]);
      expect(healthAnswers).toBeGreaterThan(0);
      const failures = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
      expect(
        failures.every((f) => f.code === 'UNAVAILABLE'),
        `only "try again" answers may fail: ${JSON.stringify(failures)}`,
      ).toBe(true);
      expect(outcomes.filter((o) => o.ok).length, `most orders go through: ${JSON.stringify(failures)}`).toBeGreaterThan(size / 2);
      await expectBalancesEqualFills(accountId);
    }, 120_000);
  }

  it('50 mixed orders on a used account (buys and sells of three assets), with deployment ticks on the same account', async () => {
    const accountId = await paperAccount({ USDT: '1000000', BTC: '1', ETH: '5' });
    // Used: earlier orders, and balance rows of every asset already there.
    for (let i = 0; i < 6; i++) await placeOrder(t.db, userId, orderOf(accountId, i, 'mixed'));
    let now = Date.now();
    const runtimes: DeploymentRuntime[] = [];
    for (const k of [0, 1, 2]) runtimes.push(await dcaDeployment(accountId, `dca ${k}`, now));
    // Two ticks each: a candle closes per tick (the DCA buys on it), while the manual orders race them.
    const ticks = async (rt: DeploymentRuntime) => {
      for (let k = 0; k < 2; k++) {
        now += MINUTE;
        const at = now;
        const outcome = await outcomeOf(tickDeployment(pool.db, rt, { now: () => at }));
        if (!outcome.ok) return outcome;
      }
      return { ok: true } as Outcome;
    };
    const requests = [
      ...Array.from({ length: 50 }, (_, i) => outcomeOf(placeOrder(pool.db, userId, orderOf(accountId, i, 'mixed')))),
      ...runtimes.map((rt) => ticks(rt)),
    ];
    const burst = settleAll(requests);
    const [outcomes] = await Promise.all([burst, healthDuring(burst)]);
    const failures = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    expect(
      failures.every((f) => f.code === 'UNAVAILABLE' || f.code === 'UNPROCESSABLE'),
      `only "try again" or a refused order: ${JSON.stringify(failures)}`,
    ).toBe(true);
    await expectBalancesEqualFills(accountId);
    const [{ n } = { n: 0 }] = await t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from orders where account_id = ${accountId} and deployment_id is not null`,
    );
    expect(n, 'the deployments placed orders during the burst').toBeGreaterThan(0);
  }, 120_000);

  it('two fresh accounts at once, first orders in three assets each (balance rows created under contention)', async () => {
    const a = await paperAccount({ USDT: '1000000' });
    const b = await paperAccount({ USDT: '1000000', SOL: '100' });
    const requests = Array.from({ length: 40 }, (_, i) => outcomeOf(placeOrder(pool.db, userId, orderOf(i % 2 === 0 ? a : b, i >> 1, 'mixed'))));
    const burst = settleAll(requests);
    const [outcomes] = await Promise.all([burst, healthDuring(burst)]);
    const failures = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    expect(
      failures.every((f) => f.code === 'UNAVAILABLE'),
      JSON.stringify(failures),
    ).toBe(true);
    await expectBalancesEqualFills(a);
    await expectBalancesEqualFills(b);
  }, 120_000);
});
