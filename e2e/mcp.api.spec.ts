import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect, test } from './contract';
import { seedBtcCandles } from './helpers';
import { bearer, createKey, newUser } from './keys-helpers';

/**
 * The MCP endpoint of the built app over real HTTP, with the SDK's own client configured as an agent's MCP
 * client would be (the URL and an Authorization header): the tools, a backtest from strategy to result run
 * by the real worker, a deployment paused and stopped, and a read-only key refused what it may not do.
 */
test.beforeAll(seedBtcCandles);

async function connect(baseURL: string, key: string): Promise<Client> {
  const client = new Client({ name: 'e2e-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/api/mcp', baseURL), { requestInit: { headers: bearer(key) } }));
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  return { isError: result.isError === true, text };
}

async function ok<T>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const answer = await call(client, name, args);
  expect(answer.isError, `${name}: ${answer.text}`).toBe(false);
  return JSON.parse(answer.text) as T;
}

test('an agent lists the tools, backtests a strategy to its result, pauses and stops a deployment; a read key is refused the writes', async ({
  request,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const user = await newUser(request, 'mcp');
  const agentKey = await createKey(request, user, ['read', 'trade'], 'agent');
  const readKey = await createKey(request, user, ['read'], 'reader');
  const agent = await connect(baseURL!, agentKey.key);
  const reader = await connect(baseURL!, readKey.key);

  const { tools } = await agent.listTools();
  expect(tools.map((t) => t.name)).toEqual(
    expect.arrayContaining([
      'list_strategy_types',
      'list_strategies',
      'create_strategy',
      'run_backtest',
      'get_backtest',
      'run_sweep',
      'get_sweep',
      'get_portfolio',
      'list_deployments',
      'list_alerts',
      'pause_deployment',
      'stop_deployment',
    ]),
  );

  const refusedCreate = await call(reader, 'create_strategy', { name: 'x', type: 'dca', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' });
  expect(refusedCreate.isError).toBe(true);
  expect(JSON.parse(refusedCreate.text).error).toMatchObject({ code: 'FORBIDDEN', details: { requiredScope: 'trade' } });

  const strategy = await ok<{ id: string }>(agent, 'create_strategy', {
    name: 'Agent DCA',
    type: 'dca',
    params: { intervalBars: 1, amountPerBuy: 100 },
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  const queued = await ok<{ id: string; status: string }>(agent, 'run_backtest', {
    strategyId: strategy.id,
    start: '2021-01-01T00:00:00Z',
    end: '2021-01-10T00:00:00Z',
    initialCapital: 10000,
    feeRate: 0.001,
    slippage: '0.0005',
  });
  expect(queued.status).toBe('queued');
  await expect
    .poll(async () => (await ok<{ status: string }>(reader, 'get_backtest', { id: queued.id })).status, {
      message: 'the worker runs the backtest',
      timeout: 60_000,
    })
    .toBe('completed');
  const result = await ok<{ metrics: { totalTrades: number }; trades: unknown[] }>(agent, 'get_backtest', { id: queued.id });
  expect(result.trades.length, 'a DCA buying every bar trades').toBeGreaterThan(0);
  const rest = await request.get(`/api/v1/backtests/${queued.id}`, { headers: bearer(agentKey.key) });
  expect(result, 'the same answer as REST').toEqual(await rest.json());

  // A deployment made in the app (REST), then controlled by the agent.
  const account = await request.post('/api/v1/accounts', {
    headers: bearer(user.accessToken),
    data: { name: 'paper', exchange: 'paper', balances: { USDT: '10000' } },
  });
  expect(account.status(), await account.text()).toBe(201);
  const created = await request.post(`/api/v1/strategies/${strategy.id}/deployments`, {
    headers: bearer(user.accessToken),
    data: { accountId: (await account.json()).id, mode: 'paper', feed: { type: 'replay', start: '2021-03-25T00:00:00Z', speed: 3600 } },
  });
  expect(created.status(), await created.text()).toBe(201);
  const deploymentId = (await created.json()).id as string;
  expect((await ok<{ deployments: Array<{ id: string }> }>(reader, 'list_deployments')).deployments.map((d) => d.id)).toEqual([deploymentId]);
  for (const name of ['pause_deployment', 'stop_deployment']) {
    const refused = await call(reader, name, { id: deploymentId });
    expect(refused.isError, `${name} with a read key`).toBe(true);
    expect(JSON.parse(refused.text).error).toMatchObject({ code: 'FORBIDDEN', details: { requiredScope: 'trade' } });
  }
  expect((await ok<{ state: string }>(reader, 'get_deployment', { id: deploymentId })).state, 'refused: still running').toBe('running');
  expect((await ok<{ state: string }>(agent, 'pause_deployment', { id: deploymentId })).state).toBe('paused');
  expect((await ok<{ deployment: { state: string } }>(agent, 'stop_deployment', { id: deploymentId, closePosition: true })).deployment.state).toBe('stopped');
  const portfolio = await ok<{ accounts: unknown[] }>(reader, 'get_portfolio');
  expect(portfolio.accounts.length).toBe(1);
  await ok(reader, 'list_alerts', { limit: 5 });

  await agent.close();
  await reader.close();
});

test('the endpoint refuses a missing or unknown key with 401 before any tool', async ({ request }) => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
  const headers = { accept: 'application/json, text/event-stream' };
  const missing = await request.post('/api/mcp', { headers, data: initialize });
  expect(missing.status()).toBe(401);
  expect(missing.headers()['www-authenticate']).toMatch(/^Bearer/);
  const unknown = await request.post('/api/mcp', {
    headers: { ...headers, ...bearer('cb_0000000000000000_00000000000000000000000000000000000000') },
    data: initialize,
  });
  expect(unknown.status()).toBe(401);
  expect((await request.get('/api/mcp')).status(), 'stateless: no stream to GET').toBe(405);
});
