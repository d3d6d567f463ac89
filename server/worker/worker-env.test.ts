/**
 * The worker as README's Deployment section starts it: only DATABASE_URL and CRYPTOBOT_MASTER_KEY (plus
 * where "binance" is, since no test reaches a real exchange). It must decrypt exchange credentials with
 * the master key alone, without the web app's variables (NEXTAUTH_SECRET, ...).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { orders } from '@/db/schema';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, faults } from '@/server/testing/exchange/binance-test-server';
import { TEST_EXCHANGES, testServerConnector } from '@/server/testing/exchange/connector';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import { placeOrder } from '@/server/services/orders';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';

const masterKeyText = randomBytes(32).toString('base64');
const KEY = parseMasterKey(masterKeyText);

let t: TestDatabase;
let server: BinanceTestServer;
const connect = testServerConnector(() => server);
const deps = { keys: [KEY], exchanges: () => TEST_EXCHANGES, connect };

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ balances: { USDT: '100000', BTC: '10' } }).start();
  clearMarketCache();
});
afterAll(async () => {
  await server?.close();
  await t?.destroy();
});

it('a worker with only DATABASE_URL and CRYPTOBOT_MASTER_KEY decrypts an exchange account and reconciles its unknown order', async () => {
  const { id: userId } = await registerUser(t.db, { username: 'minimal-env', password: 'long enough pw' });
  const account = await createAccount(
    t.db,
    userId,
    { name: 'binance', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
    {},
    deps,
  );
  server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
  const { order } = await placeOrder(
    t.db,
    userId,
    { accountId: account.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.002', price: '20000', clientOrderId: 'cbMINENV0000001' },
    deps,
  );
  expect(order.status, 'the exchange accepted it but we never heard back').toBe('unknown');

  const child = spawn(process.execPath, ['--import', 'tsx', 'server/worker/main.ts'], {
    // Nothing of the web app's configuration: no NEXTAUTH_SECRET, NEXTAUTH_URL or NODE_ENV.
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: t.url,
      CRYPTOBOT_MASTER_KEY: masterKeyText,
      CRYPTOBOT_EXCHANGE_URLS: JSON.stringify({ binance: server.baseUrl }),
    } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // The reconciler's first pass (at start) decrypts the account's credentials and asks the exchange.
    await expect
      .poll(
        async () => {
          if (output.includes('reconciling an account failed')) throw new Error(`the worker could not reconcile: ${output.slice(-2000)}`);
          return (await t.db.select({ status: orders.status }).from(orders).where(eq(orders.id, order.id)))[0]!.status;
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBe('open');
  } finally {
    child.kill('SIGTERM');
    expect(await exited, output.slice(-2000)).toBe(0);
  }
  expect(output, 'the worker never logs the credentials').not.toContain(server.secret);
}, 90_000);

/** Starts the worker with `env` and resolves with its exit code and everything it printed. */
function runWorkerUntilExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/worker/main.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

/** Each bad variable, its value and what the worker must say of it. */
const BAD_VARIABLES: [name: string, value: string, message: string][] = [
  ['RECONCILE_INTERVAL_MS', 'abc', 'must be a whole number of milliseconds'],
  ['EQUITY_SNAPSHOT_INTERVAL_MS', '10', 'must be a whole number of milliseconds (1000–86400000)'],
  ['CRYPTOBOT_DEPLOYMENT_LEASE_MS', '-1', 'must be a whole number of milliseconds'],
  ['API_KEY_GRACE_DAYS', 'a week', 'must be a number of days'],
];

// One worker process with every bad variable at once (a process start costs seconds on a slow CI machine): it must
// exit 1 before starting anything, with one line per variable that names it and says what is wrong.
it(`a worker started with bad ${BAD_VARIABLES.map(([name]) => name).join(', ')} exits 1 at start, one line naming each`, async () => {
  const bad = Object.fromEntries(BAD_VARIABLES.map(([name, value]) => [name, value]));
  const { code, output } = await runWorkerUntilExit({ DATABASE_URL: t.url, CRYPTOBOT_MASTER_KEY: masterKeyText, ...bad });
  expect(code, output).toBe(1);
  for (const [name, , message] of BAD_VARIABLES) {
    const lines = output.split('\n').filter((line) => new RegExp(`^worker: ${name}\\b`).test(line));
    expect(lines, `one line names ${name}:\n${output}`).toHaveLength(1);
    expect(lines[0], `it says what is wrong with ${name}`).toContain(message);
  }
  expect(output, 'nothing started').not.toContain('worker started');
}, 60_000);

// The exchange URLs are read by the exchange configuration, after the environment: a refusal of their own.
it('a worker started with CRYPTOBOT_EXCHANGE_URLS={not json exits 1 at start, naming the variable', async () => {
  const { code, output } = await runWorkerUntilExit({ DATABASE_URL: t.url, CRYPTOBOT_MASTER_KEY: masterKeyText, CRYPTOBOT_EXCHANGE_URLS: '{not json' });
  expect(code, output).toBe(1);
  expect(output, 'one line names the variable and says what is wrong').toMatch(/^worker: CRYPTOBOT_EXCHANGE_URLS\b.*is not valid JSON/m);
  expect(output, 'nothing started').not.toContain('worker started');
}, 60_000);
