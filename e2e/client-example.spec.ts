import { spawn } from 'node:child_process';
import { expect, test } from './contract';
import { seedBtcCandles } from './helpers';
import { bearer, createKey, newUser } from './keys-helpers';

test.beforeAll(seedBtcCandles);

/** Runs the typed tRPC client example (`npm run example:client`) as a user would, against this server. */
function runExample(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/trpc-client-example.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

test('the typed tRPC client example lists strategies, runs a backtest and prints its metrics with an API key', async ({ request, baseURL }) => {
  test.setTimeout(120_000);
  const user = await newUser(request, 'client');
  const strategy = await request.post('/api/v1/strategies', {
    headers: bearer(user.accessToken),
    data: {
      name: 'example client',
      type: 'sma_crossover',
      params: { fastPeriod: 10, slowPeriod: 30 },
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
    },
  });
  expect(strategy.status(), await strategy.text()).toBe(201);
  const key = await createKey(request, user, ['trade'], 'example client');

  const { code, output } = await runExample({ CRYPTOBOT_URL: baseURL!, CRYPTOBOT_API_KEY: key.key });
  expect(code, output).toBe(0);
  expect(output, 'it listed the strategy').toContain('example client (sma_crossover) binance BTC/USDT 1h');
  expect(output, 'it ran a backtest').toMatch(/backtest [0-9a-f-]{36} queued/);
  expect(output, 'and printed its metrics').toMatch(/totalReturnPct\s+-?\d+\.\d{4}/);
  expect(output).toMatch(/tradeCount\s+\d+/);

  const readOnly = await createKey(request, user, ['read'], 'read only');
  const refused = await runExample({ CRYPTOBOT_URL: baseURL!, CRYPTOBOT_API_KEY: readOnly.key });
  expect(refused.code, 'a read-only key may list but not start a backtest').toBe(1);
  expect(refused.output).toMatch(/error \(403\)/);
});
