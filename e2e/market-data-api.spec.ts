import { expect, test, type APIRequestContext } from '@playwright/test';
import { E2E_ADMIN } from './global-setup';
import { registerAndToken } from './helpers';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

async function adminToken(request: APIRequestContext): Promise<string> {
  const response = await request.post('/api/v1/auth/token', { data: E2E_ADMIN });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test.describe('REST market data', () => {
  test('POST candles stores good rows, reports bad ones by index; GET pages with a cursor; coverage shows the gap', async ({ request }) => {
    const token = await adminToken(request);
    const symbol = `API${Date.now().toString(36).toUpperCase().slice(-6)}/USDT`;
    const candles = [
      [T0, 100, 110, 90, 105, 1],
      [T0 + H, 105, 111, 100, 106, 2],
      [T0 + 2 * H, 'NaN', 110, 90, 105, 1],
      [T0 + 3 * H, 100, 99, 90, 105, 1],
      [T0 + H, 105, 111, 100, 106, 2],
      [T0 + 5 * H, 106, 112, 101, 107, 3],
      [T0 + 6 * H, 107, 113, 102, 108, 4],
    ];
    const posted = await request.post('/api/v1/market-data/candles', { headers: bearer(token), data: { exchange: 'binance', symbol, timeframe: '1h', candles } });
    expect(posted.status(), await posted.text()).toBe(200);
    const body = await posted.json();
    expect(body, 'four stored, three rejected').toMatchObject({ inserted: 4, updated: 0 });
    expect(body.rejected.map((r: { index: number }) => r.index)).toEqual([2, 3, 4]);
    expect(body.rejected[0].reason).toMatch(/open must be a number/);
    expect(body.rejected[1].reason).toMatch(/high 99 is below/);
    expect(body.rejected[2].reason).toMatch(/duplicate time/);

    const first = await request.get(`/api/v1/market-data/candles?exchange=binance&symbol=${encodeURIComponent(symbol)}&timeframe=1h&start=2024-01-01T00:00:00Z&limit=2`, { headers: bearer(token) });
    expect(first.status()).toBe(200);
    const page1 = await first.json();
    expect(page1.candles.map((c: number[]) => c[0])).toEqual([T0, T0 + H]);
    expect(page1.next, 'a cursor to the next page').toBe(String(T0 + 5 * H));
    const second = await request.get(`/api/v1/market-data/candles?exchange=binance&symbol=${encodeURIComponent(symbol)}&timeframe=1h&start=2024-01-01T00:00:00Z&limit=2&cursor=${page1.next}`, { headers: bearer(token) });
    const page2 = await second.json();
    expect(page2.candles.map((c: number[]) => c[0])).toEqual([T0 + 5 * H, T0 + 6 * H]);
    expect(page2.next, 'last page has no cursor').toBeUndefined();
    const bounded = await request.get(`/api/v1/market-data/candles?exchange=binance&symbol=${encodeURIComponent(symbol)}&timeframe=1h&start=${T0 + H}&end=${T0 + 5 * H}`, { headers: bearer(token) });
    expect((await bounded.json()).candles.map((c: number[]) => c[0]), 'start inclusive, end exclusive (ms)').toEqual([T0 + H]);

    const coverage = await request.get(`/api/v1/market-data/coverage?symbol=${encodeURIComponent(symbol)}`, { headers: bearer(token) });
    expect(coverage.status()).toBe(200);
    const [series] = (await coverage.json()).series;
    expect(series).toMatchObject({ exchange: 'binance', symbol, timeframe: '1h', firstMs: T0, lastMs: T0 + 6 * H, count: 4, missing: 3, gapCount: 1 });
    expect(series.gaps).toEqual([{ from: T0 + 2 * H, to: T0 + 5 * H, missing: 3 }]);
  });

  test('bad input is a 422 naming the field; a non-admin POST is 403; no auth is 401', async ({ request }) => {
    const token = await adminToken(request);
    const bad = await request.post('/api/v1/market-data/candles', { headers: bearer(token), data: { exchange: 'binance', symbol: 'btcusdt', timeframe: '1h', candles: [] } });
    expect(bad.status()).toBe(422);
    expect((await bad.json()).error.details.fields.map((f: { field: string }) => f.field)).toEqual(['symbol']);

    const badTimeframe = await request.get('/api/v1/market-data/candles?exchange=binance&symbol=BTC%2FUSDT&timeframe=7x', { headers: bearer(token) });
    expect(badTimeframe.status()).toBe(422);
    expect((await badTimeframe.json()).error.details.fields[0].field).toBe('timeframe');
    const badStart = await request.get('/api/v1/market-data/candles?exchange=binance&symbol=BTC%2FUSDT&timeframe=1h&start=yesterday', { headers: bearer(token) });
    expect(badStart.status()).toBe(422);
    expect((await badStart.json()).error.details.fields[0].field).toBe('start');

    const tooMany = await request.post('/api/v1/market-data/candles', { headers: bearer(token), data: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', candles: new Array(50_001).fill(0) } });
    expect(tooMany.status(), 'the request cap').toBe(422);
    expect((await tooMany.json()).error.details.fields[0]).toMatchObject({ field: 'candles', message: expect.stringMatching(/at most 50000 candles/) });

    const { accessToken } = await registerAndToken(request, 'mdnonadmin');
    const forbidden = await request.post('/api/v1/market-data/candles', { headers: bearer(accessToken), data: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', candles: [[T0, 1, 1, 1, 1, 1]] } });
    expect(forbidden.status(), 'candles are shared: admins only').toBe(403);
    const forbiddenImport = await request.post('/api/v1/market-data/imports', { headers: bearer(accessToken), data: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', start: T0, end: T0 + H } });
    expect(forbiddenImport.status()).toBe(403);
    const readable = await request.get('/api/v1/market-data/coverage', { headers: bearer(accessToken) });
    expect(readable.status(), 'everyone signed in may read the coverage').toBe(200);

    const anonymous = await request.get('/api/v1/market-data/coverage');
    expect(anonymous.status()).toBe(401);
  });

  test('POST imports queues a job (202) whose status is readable; offline it fails saying the exchange is unreachable', async ({ request }) => {
    const token = await adminToken(request);
    const queued = await request.post('/api/v1/market-data/imports', { headers: bearer(token), data: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', start: '2024-01-01', end: '2024-01-02' } });
    expect(queued.status(), await queued.text()).toBe(202);
    const job = await queued.json();
    expect(job).toMatchObject({ id: expect.any(String), status: 'queued', startMs: T0, endMs: T0 + 24 * H });

    await expect
      .poll(async () => (await (await request.get(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) })).json()).status, { timeout: 90_000, intervals: [1_000] })
      .toMatch(/completed|failed/);
    const done = await (await request.get(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) })).json();
    if (done.status === 'failed') expect(done.error, 'a clear message, no stack').toMatch(/^exchange unreachable: could not get candles from binance/);
    else expect(done.result.inserted + done.result.unchanged, 'online: the day was imported').toBe(24);

    const { accessToken } = await registerAndToken(request, 'mdother');
    const hidden = await request.get(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(accessToken) });
    expect(hidden.status(), "another user's import does not exist for them").toBe(404);
  });
});
