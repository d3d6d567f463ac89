import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POST as mcpRoute } from '@/app/api/mcp/route';
import { GET as restBacktest } from '@/app/api/v1/backtests/[id]/route';
import { getDatabase } from '@/db/client';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { createDeployment } from '@/server/services/deployments';
import { createKey } from '@/server/services/keys';
import { upsertCandles } from '@/server/services/market-data/candles';
import { logger } from '@/server/logger';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createJobRunner } from '@/server/worker/job-runner';
import { JOB_HANDLERS } from '@/server/worker/loops';
import { MCP_TOOLS } from './tools';

/**
 * The MCP endpoint through the SDK's own client (Client + StreamableHTTPClientTransport), whose requests go
 * to the real route handler (app/api/mcp/route.ts) on a database of this file's own; queued backtests and
 * sweeps are run by the worker's real job runner in-process. The same flow over real HTTP against the built
 * app is e2e/mcp.api.spec.ts.
 */
let t: TestDatabase;
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const keys = { readTrade: '', read: '', bob: '' };
let aliceId: string;
let bobId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  // The route handler's database (getDatabase) is this file's own, so the job runner below sees only our jobs.
  vi.stubEnv('DATABASE_URL', t.url);
  const alice = await registerUser(t.db, { username: 'mcp-alice', password: 'long enough pw' });
  const bob = await registerUser(t.db, { username: 'mcp-bob', password: 'long enough pw' });
  aliceId = alice.id;
  bobId = bob.id;
  const actor = (u: typeof alice) => ({ id: u.id, role: u.role, scopes: ['read', 'trade'] as const, apiKeyId: null });
  keys.readTrade = (await createKey(t.db, { ...actor(alice), scopes: ['read', 'trade'] }, { name: 'agent', scopes: ['read', 'trade'] })).key;
  keys.read = (await createKey(t.db, { ...actor(alice), scopes: ['read', 'trade'] }, { name: 'reader', scopes: ['read'] })).key;
  keys.bob = (await createKey(t.db, { ...actor(bob), scopes: ['read', 'trade'] }, { name: 'bob', scopes: ['read', 'trade'] })).key;
  // Real Coinbase BTC/USD 1h candles, stored as the strategies' market.
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));
}, 60_000);

afterAll(async () => {
  await getDatabase().close();
  vi.unstubAllEnvs();
  await t?.destroy();
});

/** The SDK's client, its HTTP requests answered by the route handler; `headers` as an MCP client configuration sets them. */
async function connect(headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'cryptobot-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('http://localhost/api/mcp'), {
    requestInit: { headers },
    fetch: (url, init) => mcpRoute(new Request(url, init)),
  });
  await client.connect(transport);
  return client;
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Everything a tool answered, as text: the JSON body on success, the REST error body on failure. */
function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result as CallToolResult).content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}
async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  return {
    isError: result.isError === true,
    text: textOf(result),
    json: () => JSON.parse(textOf(result)) as Record<string, unknown> & { error?: AppErrorBody },
  };
}
interface AppErrorBody {
  code: string;
  message: string;
  details?: { fields?: { field: string; message: string }[]; requiredScope?: string };
}
async function ok(client: Client, name: string, args: Record<string, unknown> = {}) {
  const answer = await call(client, name, args);
  expect(answer.isError, `${name} must succeed: ${answer.text}`).toBe(false);
  return JSON.parse(answer.text) as never;
}

/** Runs the worker's job runner in-process until `done()` holds. */
async function runWorkerUntil(done: () => Promise<boolean>): Promise<void> {
  const controller = new AbortController();
  const stop = await createJobRunner(JOB_HANDLERS, { pollMs: 50 }).start({ database: getDatabase(), workerId: 'mcp-test', logger, signal: controller.signal });
  try {
    for (let i = 0; i < 1200 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    controller.abort();
    await stop();
  }
}

const TRADE_TOOLS = [
  'create_strategy',
  'run_backtest',
  'run_sweep',
  'run_bias_check',
  'run_monte_carlo',
  'run_walk_forward',
  'pause_deployment',
  'stop_deployment',
];

describe('tools', () => {
  it('lists every tool with its input schema (from the shared zod schemas) and the scope it needs', async () => {
    const client = await connect(bearer(keys.read));
    expect(client.getServerVersion()?.name).toBe('cryptobot');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(MCP_TOOLS.map((tool) => tool.name).sort());
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining([...TRADE_TOOLS, 'get_backtest', 'get_portfolio', 'list_deployments', 'list_alerts']),
    );
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    const runBacktest = byName.get('run_backtest')!;
    expect(runBacktest.inputSchema.required, 'the request schema’s required fields').toEqual(['strategyId', 'start', 'end']);
    expect(Object.keys(runBacktest.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['initialCapital', 'feeRate', 'slippage', 'params']));
    for (const tool of tools) {
      const scope = TRADE_TOOLS.includes(tool.name) ? 'trade' : 'read';
      expect(tool._meta?.['cryptobot/scope'], tool.name).toBe(scope);
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(scope === 'read');
    }
    expect(byName.get('stop_deployment')!.annotations?.destructiveHint).toBe(true);
    await client.close();
  });

  it('creates a strategy, runs a backtest to its result and reads it as REST gives it, with a read+trade key', async () => {
    const client = await connect(bearer(keys.readTrade));
    const types = (await ok(client, 'list_strategy_types')) as Array<{ type: string }>;
    expect(types.map((x) => x.type)).toContain('sma_crossover');
    const series = (await ok(client, 'list_market_data')) as Array<{ symbol: string; timeframe: string }>;
    expect(series).toContainEqual(expect.objectContaining({ symbol: 'BTC/USDT', timeframe: '1h' }));

    const strategy = (await ok(client, 'create_strategy', {
      name: 'Agent SMA',
      type: 'sma_crossover',
      params: { fastPeriod: 10, slowPeriod: 30 },
      ...market,
    })) as { id: string; status: string; params: Record<string, unknown> };
    expect(strategy).toMatchObject({ status: 'draft', params: { fastPeriod: 10, slowPeriod: 30 } });
    expect(((await ok(client, 'list_strategies')) as Array<{ id: string }>).map((s) => s.id)).toEqual([strategy.id]);

    const queued = (await ok(client, 'run_backtest', {
      strategyId: strategy.id,
      start: '2018-01-01',
      end: Date.parse('2018-02-01T00:00:00Z'),
      initialCapital: 10000,
      feeRate: '0.001',
      slippage: 0.0005,
    })) as { id: string; status: string };
    expect(queued.status).toBe('queued');

    await runWorkerUntil(async () => !['queued', 'running'].includes(((await ok(client, 'get_backtest', { id: queued.id })) as { status: string }).status));
    const result = (await ok(client, 'get_backtest', { id: queued.id })) as { status: string; metrics: Record<string, number>; trades: unknown[] };
    expect(result.status).toBe('completed');
    expect(result.trades.length, 'a month of real candles trades').toBeGreaterThan(3);
    expect(typeof result.metrics.totalReturnPct).toBe('number');
    const rest = await restBacktest(new Request(`http://localhost/api/v1/backtests/${queued.id}`, { headers: bearer(keys.readTrade) }), {
      params: Promise.resolve({ id: queued.id }),
    });
    expect(result, 'the tool answers exactly what GET /api/v1/backtests/{id} answers').toEqual(await rest.json());
    expect(((await ok(client, 'list_backtests', { strategyId: strategy.id })) as Array<{ id: string }>).map((b) => b.id)).toEqual([queued.id]);
    expect(((await ok(client, 'get_strategy', { id: strategy.id })) as { status: string }).status, 'a completed backtest makes it backtested').toBe(
      'backtested',
    );

    const sweep = (await ok(client, 'run_sweep', {
      strategyId: strategy.id,
      start: '2018-01-01',
      end: '2018-02-01',
      ranges: { fastPeriod: { values: [5, 10] } },
    })) as { id: string };
    await runWorkerUntil(async () => !['queued', 'running'].includes(((await ok(client, 'get_sweep', { id: sweep.id })) as { status: string }).status));
    const swept = (await ok(client, 'get_sweep', { id: sweep.id })) as { status: string; results: Array<{ params: Record<string, unknown> }> };
    expect(swept.status).toBe('completed');
    expect(swept.results.map((r) => Number(r.params.fastPeriod)).sort((a, b) => a - b)).toEqual([5, 10]);
    expect(((await ok(client, 'list_sweeps')) as Array<{ id: string }>).map((s) => s.id)).toEqual([sweep.id]);

    // Robustness: a bias check of the strategy and a Monte Carlo study of its backtest, each run to its result.
    const check = (await ok(client, 'run_bias_check', { strategyId: strategy.id, start: '2018-01-01', end: '2018-05-01' })) as { id: string };
    await runWorkerUntil(async () => !['queued', 'running'].includes(((await ok(client, 'get_bias_check', { id: check.id })) as { status: string }).status));
    const checked = (await ok(client, 'get_bias_check', { id: check.id })) as {
      status: string;
      lookahead: { passed: boolean };
      recursive: { passed: boolean };
    };
    expect(checked).toMatchObject({ status: 'completed', lookahead: { passed: true }, recursive: { passed: true } });
    const study = (await ok(client, 'run_monte_carlo', { backtestId: queued.id, method: 'shuffle', runs: 1000, seed: 7 })) as { id: string };
    await runWorkerUntil(async () => !['queued', 'running'].includes(((await ok(client, 'get_monte_carlo', { id: study.id })) as { status: string }).status));
    const studied = (await ok(client, 'get_monte_carlo', { id: study.id })) as { status: string; runs: number; finalReturnPct?: { p50: number } };
    expect(studied.status).toBe('completed');
    expect(studied.runs).toBe(1000);
    expect(studied.finalReturnPct!.p50, 'a shuffle keeps every run’s final return: the backtest’s').toBeCloseTo(result.metrics.totalReturnPct!, 6);
    await client.close();
  });

  it('reads the portfolio, deployments and alerts, and pauses and stops a deployment with the trade scope', async () => {
    const client = await connect(bearer(keys.readTrade));
    const accountId = (await createAccount(t.db, aliceId, { name: 'paper', exchange: 'paper', balances: { USDT: '10000' } })).id;
    const [strategy] = (await ok(client, 'list_strategies')) as Array<{ id: string }>;
    const deployment = await createDeployment(t.db, aliceId, strategy!.id, {
      accountId,
      mode: 'paper',
      feed: { type: 'replay', start: '2018-03-01T00:00:00Z' },
    });

    const portfolio = (await ok(client, 'get_portfolio')) as { currency: string; accounts: Array<{ accountId: string; balances: unknown }> };
    expect(portfolio.currency).toBe('USDT');
    expect(JSON.stringify(portfolio)).toContain(accountId);
    const listed = (await ok(client, 'list_deployments', { state: 'running' })) as { deployments: Array<{ id: string }> };
    expect(listed.deployments.map((d) => d.id)).toEqual([deployment.id]);
    expect(((await ok(client, 'get_deployment', { id: deployment.id })) as { state: string }).state).toBe('running');
    expect(await ok(client, 'list_alerts', { unacknowledged: 'true', limit: 10 })).toEqual({ alerts: [] });

    expect(((await ok(client, 'pause_deployment', { id: deployment.id })) as { state: string }).state).toBe('paused');
    const stopped = (await ok(client, 'stop_deployment', { id: deployment.id, closePosition: true })) as { deployment: { state: string } };
    expect(stopped.deployment.state).toBe('stopped');
    await client.close();
  });
});

describe('scopes, isolation and errors', () => {
  it('refuses every writing tool to a read-only key, naming the scope, and writes nothing', async () => {
    const client = await connect(bearer(keys.read));
    const [strategy] = (await ok(client, 'list_strategies')) as Array<{ id: string }>;
    const backtestsBefore = ((await ok(client, 'list_backtests')) as unknown[]).length;
    const [deployment] = ((await ok(client, 'list_deployments')) as { deployments: Array<{ id: string }> }).deployments;
    const attempts: Record<string, Record<string, unknown>> = {
      create_strategy: { name: 'nope', type: 'rsi', ...market },
      run_backtest: { strategyId: strategy!.id, start: '2018-01-01', end: '2018-01-10' },
      run_sweep: { strategyId: strategy!.id, start: '2018-01-01', end: '2018-01-10', ranges: { fastPeriod: { values: [5] } } },
      run_bias_check: { strategyId: strategy!.id, start: '2018-01-01', end: '2018-01-10' },
      run_monte_carlo: { backtestId: strategy!.id, method: 'shuffle', runs: 1000 },
      run_walk_forward: {
        strategyId: strategy!.id,
        start: '2018-01-01',
        end: '2018-03-01',
        folds: 2,
        space: { fastPeriod: [5, 10] },
        search: { method: 'grid' },
        objective: 'sharpe',
      },
      pause_deployment: { id: deployment!.id },
      stop_deployment: { id: deployment!.id },
    };
    expect(Object.keys(attempts).sort()).toEqual([...TRADE_TOOLS].sort());
    for (const [name, args] of Object.entries(attempts)) {
      const answer = await call(client, name, args);
      expect(answer.isError, name).toBe(true);
      expect(answer.json().error, name).toMatchObject({
        code: 'FORBIDDEN',
        message: expect.stringContaining('"trade" scope'),
        details: { requiredScope: 'trade' },
      });
    }
    expect(((await ok(client, 'list_strategies')) as unknown[]).length, 'no strategy was created').toBe(1);
    expect(((await ok(client, 'list_backtests')) as unknown[]).length, 'no backtest was queued').toBe(backtestsBefore);
    await client.close();
  });

  it("never shows one user another's records: ids of someone else's are not found, lists are empty", async () => {
    const alice = await connect(bearer(keys.readTrade));
    const [strategy] = (await ok(alice, 'list_strategies')) as Array<{ id: string }>;
    const [backtest] = (await ok(alice, 'list_backtests')) as Array<{ id: string }>;
    const [sweep] = (await ok(alice, 'list_sweeps')) as Array<{ id: string }>;
    const [deployment] = ((await ok(alice, 'list_deployments')) as { deployments: Array<{ id: string }> }).deployments;
    const bob = await connect(bearer(keys.bob));
    for (const [name, args] of [
      ['get_strategy', { id: strategy!.id }],
      ['get_backtest', { id: backtest!.id }],
      ['get_sweep', { id: sweep!.id }],
      ['get_deployment', { id: deployment!.id }],
      ['pause_deployment', { id: deployment!.id }],
      ['stop_deployment', { id: deployment!.id }],
    ] as const) {
      const answer = await call(bob, name, args);
      expect(answer.json().error?.code, `${name} of alice's record, called by bob`).toBe('NOT_FOUND');
    }
    const refused = await call(bob, 'run_backtest', { strategyId: strategy!.id, start: '2018-01-01', end: '2018-01-10' });
    expect(refused.isError, "bob cannot backtest alice's strategy").toBe(true);
    expect(await ok(bob, 'list_strategies')).toEqual([]);
    expect(await ok(bob, 'list_backtests')).toEqual([]);
    expect(await ok(bob, 'list_deployments')).toEqual({ deployments: [] });
    expect(((await ok(bob, 'get_portfolio')) as { accounts: unknown[] }).accounts).toEqual([]);
    expect(bobId).not.toBe(aliceId);
    await alice.close();
    await bob.close();
  });

  it('answers bad input with a tool error naming the field, never a stack trace', async () => {
    const client = await connect(bearer(keys.readTrade));
    const [strategy] = (await ok(client, 'list_strategies')) as Array<{ id: string }>;
    // Refused by the shared request schema, before any service runs.
    const badFee = await call(client, 'run_backtest', { strategyId: strategy!.id, start: '2018-01-01', end: '2018-01-10', feeRate: 'abc' });
    expect(badFee.isError).toBe(true);
    expect(badFee.text, 'the SDK checks the input against the tool’s schema and names the field').toMatch(/must be a fraction .* at feeRate/);
    const badEnd = await call(client, 'run_backtest', { strategyId: strategy!.id, start: '2018-02-01', end: '2018-01-01' });
    expect(badEnd.isError).toBe(true);
    expect(badEnd.text).toMatch(/must be after start at end/);
    const badId = await call(client, 'get_backtest', { id: 'not-a-uuid' });
    expect(badId.isError).toBe(true);
    expect(badId.text).toMatch(/at id$/);
    // Refused by the service (the type's parameter schema): the REST error body, the field in details.
    const badParam = await call(client, 'create_strategy', { name: 'x', type: 'sma_crossover', params: { fastPeriod: 0 }, ...market });
    expect(badParam.isError).toBe(true);
    expect(badParam.json().error).toMatchObject({ code: 'UNPROCESSABLE', details: { fields: [expect.objectContaining({ field: 'params.fastPeriod' })] } });
    const unknownTool = await client.callTool({ name: 'delete_everything', arguments: {} });
    expect(unknownTool.isError).toBe(true);
    for (const answer of [badFee, badEnd, badId, badParam]) expect(answer.text, 'no stack trace').not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    await client.close();
  });

  it('never answers with a credential: no key, secret or hash appears in any tool answer', async () => {
    const client = await connect(bearer(keys.readTrade));
    const answers: string[] = [];
    for (const tool of MCP_TOOLS.filter((x) => x.scope === 'read' && !x.name.startsWith('get_'))) answers.push((await call(client, tool.name)).text);
    const all = answers.join('\n');
    for (const key of Object.values(keys)) expect(all).not.toContain(key.slice(3));
    expect(all).not.toMatch(/cb_[A-Za-z0-9]{16}_|keyHash|secretHash|password|apiSecret|credentials/i);
    await client.close();
  });

  it('refuses a request without a valid bearer credential (401, no tools), and answers GET with 405', async () => {
    const noKey = await mcpRoute(mcpInitialize({}));
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await noKey.json()) as { error: AppErrorBody }).error.message).toMatch(/Authorization: Bearer/);
    const badKey = await mcpRoute(mcpInitialize(bearer('cb_0000000000000000_00000000000000000000000000000000000000')));
    expect(badKey.status).toBe(401);
    await expect(connect(bearer('not-a-token')), 'the SDK client fails to connect').rejects.toThrow(/UNAUTHORIZED/);
    expect((await mcpRoute(new Request('http://localhost/api/mcp', { headers: bearer(keys.read) }))).status).toBe(405);

    const answered = await mcpRoute(mcpInitialize(bearer(keys.read)));
    expect(answered.status).toBe(200);
    expect(answered.headers.get('cryptobot-key-expires'), 'API-key callers learn when the key stops, as over REST').toMatch(/^\d{4}-/);
    expect(answered.headers.get('mcp-session-id'), 'stateless: no session').toBeNull();
  });
});

function mcpInitialize(headers: Record<string, string>): Request {
  return new Request('http://localhost/api/mcp', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
}
