import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { orders } from '@/db/schema';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, faults } from '@/server/testing/exchange/binance-test-server';
import { TEST_EXCHANGES, testServerConnector } from '@/server/testing/exchange/connector';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import { placeOrder } from '@/server/services/orders';
import type { ReconcileDeps, ReconcileResult } from '@/server/services/reconcile';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createReconcilerLoop } from './reconciler';

const KEY = parseMasterKey(randomBytes(32).toString('base64'));

let t: TestDatabase;
let server: BinanceTestServer;
const connect = testServerConnector(() => server);
const deps: ReconcileDeps = { keys: [KEY], exchanges: () => TEST_EXCHANGES, connect };

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ balances: { USDT: '100000', BTC: '10' } }).start();
  clearMarketCache();
});
afterAll(async () => {
  await server?.close();
  await t?.destroy();
});

function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`not within ${timeoutMs} ms`));
      else setTimeout(check, 20);
    };
    check();
  });
}

it('the reconciler loop settles an unknown order on its first pass, survives a failing account, passes again, and stops on abort', async () => {
  const { id: userId } = await registerUser(t.db, { username: 'loop-reconcile', password: 'long enough pw' });
  const good = await createAccount(
    t.db,
    userId,
    { name: 'good', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
    {},
    deps,
  );
  // Credentials the exchange refuses: this account fails on every pass.
  const refused = await createAccount(
    t.db,
    userId,
    { name: 'refused', exchange: 'binance', credentials: { apiKey: 'wrong-api-key-000000', secret: 'wrong-secret-00000000' } },
    {},
    deps,
  );
  server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
  const { order } = await placeOrder(
    t.db,
    userId,
    { accountId: good.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.002', price: '20000', clientOrderId: 'cbLOOP000000001' },
    deps,
  );
  expect(order.status).toBe('unknown');

  const results: ReconcileResult[] = [];
  const logLines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const controller = new AbortController();
  const loop = createReconcilerLoop({ intervalMs: 200, deps, onResult: (r) => results.push(r) });
  expect(loop.name).toBe('reconciler');
  const stop = await loop.start({ database: t, workerId: 'test', logger, signal: controller.signal });

  await waitFor(() => results.filter((r) => r.accountId === good.id).length >= 2, 15_000);
  const [first] = results.filter((r) => r.accountId === good.id);
  expect(first, 'the first pass settled it').toMatchObject({ checked: 1, updated: 1 });
  const [row] = await t.db.select().from(orders).where(eq(orders.id, order.id));
  expect(row!.status).toBe('open');
  expect(
    results.every((r) => r.accountId === good.id),
    'the refused account produced no result, and did not stop the loop',
  ).toBe(true);
  const failures = logLines.filter((l) => l.msg === 'reconciling an account failed; retrying next interval');
  expect(failures.length, 'the refused account was tried and its failure logged').toBeGreaterThan(0);
  expect(failures.every((l) => l.accountId === refused.id)).toBe(true);
  expect(JSON.stringify(failures), 'without its credentials').not.toMatch(/wrong-secret|wrong-api-key/);

  const abortedAt = Date.now();
  controller.abort();
  await stop();
  expect(Date.now() - abortedAt, 'stops promptly').toBeLessThan(5_000);
  const requestsAtStop = server.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(server.requests.length, 'no pass after stopping').toBe(requestsAtStop);
  expect(server.count('POST', '/api/v3/order'), 'the order was never re-sent').toBe(1);
});
