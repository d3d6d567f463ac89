import { expect, test, type APIRequestContext } from './contract';
import { E2E_ADMIN } from './global-setup';
import { registerAndToken } from './helpers';
import { localCandles } from './local-exchange';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const BTC_1H = localCandles('BTC');

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
    const posted = await request.post('/api/v1/market-data/candles', {
      headers: bearer(token),
      data: { exchange: 'binance', symbol, timeframe: '1h', candles },
    });
    expect(posted.status(), await posted.text()).toBe(200);
    const body = await posted.json();
    expect(body, 'four stored, three rejected').toMatchObject({ inserted: 4, updated: 0 });
    expect(body.rejected.map((r: { index: number }) => r.index)).toEqual([2, 3, 4]);
    expect(body.rejected[0].reason).toMatch(/open must be a number/);
    expect(body.rejected[1].reason).toMatch(/high 99 is below/);
    expect(body.rejected[2].reason).toMatch(/duplicate time/);

    const first = await request.get(
      `/api/v1/market-data/candles?exchange=binance&symbol=${encodeURIComponent(symbol)}&timeframe=1h&start=2024-01-01T00:00:00Z&limit=2`,
      { headers: bearer(token) },
    );
    expect(first.status()).toBe(200);
    const page1 = await first.json();
    expect(page1.candles.map((c: number[]) => c[0])).toEqual([T0, T0 + H]);
    expect(page1.next, 'a cursor to the next page').toBe(String(T0 + 5 * H));
    const second = await request.get(
      `/api/v1/market-data/candles?exchange=binance&symbol=${encodeURIComponent(symbol)}&timeframe=1h&start=2024-01-01T00:00:00Z&limit=2&cursor=${page1.next}`,
      { headers: bearer(token) },
    );
    const page2 = await second.json();
    expect(page2.candles.map((c: number[]) => c[0])).toEqual([T0 + 5 * H, T0 + 6 * H]);
    expect(page2.next, 'last page has no cursor').toBeUndefined();
    const bounded = await request.get(
      `/api/v1/market-data/candles?exchange=binance&symbol=${encodeURIComponent(symbol)}&timeframe=1h&start=${T0 + H}&end=${T0 + 5 * H}`,
      { headers: bearer(token) },
    );
    expect(
      (await bounded.json()).candles.map((c: number[]) => c[0]),
      'start inclusive, end exclusive (ms)',
    ).toEqual([T0 + H]);

    const coverage = await request.get(`/api/v1/market-data/coverage?symbol=${encodeURIComponent(symbol)}`, { headers: bearer(token) });
    expect(coverage.status()).toBe(200);
    const [series] = (await coverage.json()).series;
    expect(series).toMatchObject({ exchange: 'binance', symbol, timeframe: '1h', firstMs: T0, lastMs: T0 + 6 * H, count: 4, missing: 3, gapCount: 1 });
    expect(series.gaps).toEqual([{ from: T0 + 2 * H, to: T0 + 5 * H, missing: 3 }]);
  });

  test('bad input is a 422 naming the field; a non-admin POST is 403; no auth is 401', async ({ request }) => {
    const token = await adminToken(request);
    const bad = await request.post('/api/v1/market-data/candles', {
      headers: bearer(token),
      data: { exchange: 'binance', symbol: 'btcusdt', timeframe: '1h', candles: [] },
    });
    expect(bad.status()).toBe(422);
    expect((await bad.json()).error.details.fields.map((f: { field: string }) => f.field)).toEqual(['symbol']);

    const badTimeframe = await request.get('/api/v1/market-data/candles?exchange=binance&symbol=BTC%2FUSDT&timeframe=7x', { headers: bearer(token) });
    expect(badTimeframe.status()).toBe(422);
    expect((await badTimeframe.json()).error.details.fields[0].field).toBe('timeframe');
    const badStart = await request.get('/api/v1/market-data/candles?exchange=binance&symbol=BTC%2FUSDT&timeframe=1h&start=yesterday', {
      headers: bearer(token),
    });
    expect(badStart.status()).toBe(422);
    expect((await badStart.json()).error.details.fields[0].field).toBe('start');

    const tooMany = await request.post('/api/v1/market-data/candles', {
      headers: bearer(token),
      data: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', candles: new Array(50_001).fill(0) },
    });
    expect(tooMany.status(), 'the request cap').toBe(422);
    expect((await tooMany.json()).error.details.fields[0]).toMatchObject({ field: 'candles', message: expect.stringMatching(/at most 50000 candles/) });

    const { accessToken } = await registerAndToken(request, 'mdnonadmin');
    const forbidden = await request.post('/api/v1/market-data/candles', {
      headers: bearer(accessToken),
      data: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', candles: [[T0, 1, 1, 1, 1, 1]] },
    });
    expect(forbidden.status(), 'candles are shared: admins only').toBe(403);
    const userImport = await request.post('/api/v1/market-data/imports', {
      headers: bearer(accessToken),
      data: { exchange: 'binance', symbol: 'NONADMIN/USDT', timeframe: '1h', start: T0, end: T0 + H },
    });
    expect(userImport.status(), 'exchange imports are open to every user (shared, deduplicated, throttled)').toBe(202);
    const forbiddenFile = await request.post('/api/v1/market-data/files', {
      headers: bearer(accessToken),
      data: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', content: '[]' },
    });
    expect(forbiddenFile.status(), 'file uploads stay with admins').toBe(403);
    const readable = await request.get('/api/v1/market-data/coverage', { headers: bearer(accessToken) });
    expect(readable.status(), 'everyone signed in may read the coverage').toBe(200);

    const anonymous = await request.get('/api/v1/market-data/coverage');
    expect(anonymous.status()).toBe(401);
  });

  test('POST imports queues a job (202) that fetches the range from the exchange (the local Binance) and stores it', async ({ request }) => {
    const token = await adminToken(request);
    const start = Date.UTC(2021, 0, 1);
    const queued = await request.post('/api/v1/market-data/imports', {
      headers: bearer(token),
      data: { exchange: 'binance', symbol: 'IMPORTAPI/USDT', timeframe: '1h', start: '2021-01-01', end: '2021-01-02' },
    });
    expect(queued.status(), await queued.text()).toBe(202);
    const job = await queued.json();
    expect(job).toMatchObject({ id: expect.any(String), status: 'queued', startMs: start, endMs: start + 24 * H });
    expect(queued.headers()['location']).toBe(`/api/v1/market-data/imports/${job.id}`);

    await expect
      .poll(async () => (await (await request.get(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) })).json()).status, {
        timeout: 30_000,
        intervals: [500],
      })
      .toBe('completed');
    const done = await (await request.get(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) })).json();
    expect(done, 'the whole day, as new candles').toMatchObject({
      progress: 1,
      error: null,
      result: { inserted: 24, updated: 0, fetched: 24, rejected: 0, missingBefore: 24 },
    });
    const stored = await request.get(`/api/v1/market-data/candles?exchange=binance&symbol=IMPORTAPI%2FUSDT&timeframe=1h&start=2021-01-01&end=2021-01-02`, {
      headers: bearer(token),
    });
    const expected = BTC_1H.filter((r) => r[0]! >= start && r[0]! < start + 24 * H);
    expect((await stored.json()).candles, "exactly the exchange's candles").toEqual(expected);

    const again = await request.delete(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) });
    expect(again.status(), 'a finished import cannot be canceled').toBe(409);

    const { accessToken } = await registerAndToken(request, 'mdother');
    const followed = await request.get(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(accessToken) });
    expect(followed.status(), 'imports are shared: another user may follow one (only its owner may cancel it)').toBe(200);
  });

  test('DELETE imports/{id} cancels an import: it ends "canceled", keeps what it stored, and only its owner may cancel it', async ({ request }) => {
    const token = await adminToken(request);
    // SLOW/USDT: the local Binance holds each page back a second, so the import is still queued or running.
    const queued = await request.post('/api/v1/market-data/imports', {
      headers: bearer(token),
      data: { exchange: 'binance', symbol: 'SLOW/USDT', timeframe: '1h', start: '2020-12-01', end: '2021-07-18' },
    });
    expect(queued.status(), await queued.text()).toBe(202);
    const job = await queued.json();

    const { accessToken } = await registerAndToken(request, 'mdcancel');
    const foreign = await request.delete(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(accessToken) });
    expect(foreign.status(), "another user's import does not exist for them").toBe(404);
    const bad = await request.delete('/api/v1/market-data/imports/not-a-uuid', { headers: bearer(token) });
    expect(bad.status()).toBe(404);

    const canceled = await request.delete(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) });
    expect(canceled.status(), await canceled.text()).toBe(200);
    const view = await canceled.json();
    // Queued: canceled at once. Running: flagged, and it stops after the page it is storing.
    expect(view.status === 'canceled' || (view.status === 'running' && view.cancelRequested === true), JSON.stringify(view)).toBe(true);
    await expect
      .poll(async () => (await (await request.get(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) })).json()).status, {
        timeout: 15_000,
        intervals: [250],
      })
      .toBe('canceled');
    const done = await (await request.get(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) })).json();
    expect(done).toMatchObject({ status: 'canceled', cancelRequested: false, result: null, error: 'canceled by the user' });

    const coverage = await (
      await request.get('/api/v1/market-data/coverage?exchange=binance&symbol=SLOW%2FUSDT&timeframe=1h', { headers: bearer(token) })
    ).json();
    const kept = (coverage.series[0]?.count as number | undefined) ?? 0;
    expect(kept, 'at most the pages fetched before the cancel took effect').toBeLessThan(5_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const later = await (await request.get('/api/v1/market-data/coverage?exchange=binance&symbol=SLOW%2FUSDT&timeframe=1h', { headers: bearer(token) })).json();
    expect((later.series[0]?.count as number | undefined) ?? 0, 'nothing stored after it stopped').toBe(kept);

    const twice = await request.delete(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) });
    expect(twice.status(), 'already canceled: 409').toBe(409);
  });
});
