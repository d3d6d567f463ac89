import { expect, test, type APIRequestContext } from './contract';
import { registerAndToken, seedBtcCandles } from './helpers';

test.beforeAll(seedBtcCandles);

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** GETs `url` until its status is no longer queued or running (the worker finished it). */
async function finished(request: APIRequestContext, url: string, token: string): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> = {};
  await expect
    .poll(
      async () => {
        body = (await (await request.get(url, { headers: auth(token) })).json()) as Record<string, unknown>;
        return body.status;
      },
      { timeout: 60_000, message: `${url} finishes` },
    )
    .not.toMatch(/^(queued|running)$/);
  return body;
}

test('REST robustness: bias checks of a strategy, Monte Carlo of its backtest, 422s naming the field, 404 for another user', async ({ request }) => {
  const { accessToken } = await registerAndToken(request, 'robust-api');
  const other = await registerAndToken(request, 'robust-other');
  const strategy = (await (
    await request.post('/api/v1/strategies', {
      headers: auth(accessToken),
      data: { name: 'Robust SMA', type: 'sma_crossover', params: { fastPeriod: 5, slowPeriod: 20 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    })
  ).json()) as { id: string };

  // Bias checks.
  const badRange = await request.post(`/api/v1/strategies/${strategy.id}/bias-check`, {
    headers: auth(accessToken),
    data: { start: '2021-02-01', end: '2021-01-01' },
  });
  expect(badRange.status()).toBe(422);
  expect((await badRange.json()).error.details.fields[0].field).toBe('end');
  const tooShort = await request.post(`/api/v1/strategies/${strategy.id}/bias-check`, {
    headers: auth(accessToken),
    data: { start: '2021-01-01', end: '2021-01-05' },
  });
  expect(tooShort.status()).toBe(422);
  expect((await tooShort.json()).error.details.fields[0]).toMatchObject({ field: 'start', message: expect.stringContaining('needs at least 844') });
  const check = await request.post(`/api/v1/strategies/${strategy.id}/bias-check`, {
    headers: auth(accessToken),
    data: { start: '2021-01-01', end: '2021-03-01' },
  });
  expect(check.status()).toBe(202);
  const { id: checkId } = (await check.json()) as { id: string };
  expect((await request.get(`/api/v1/bias-checks/${checkId}`, { headers: auth(other.accessToken) })).status(), 'another user’s check does not exist').toBe(404);
  const checked = await finished(request, `/api/v1/bias-checks/${checkId}`, accessToken);
  expect(checked).toMatchObject({ status: 'completed', bars: 1416, lookahead: { passed: true }, recursive: { passed: true } });
  expect((await request.delete(`/api/v1/bias-checks/${checkId}`, { headers: auth(accessToken) })).status(), 'a finished check cannot be canceled').toBe(409);

  // Monte Carlo of a completed backtest.
  const backtest = (await (
    await request.post('/api/v1/backtests', { headers: auth(accessToken), data: { strategyId: strategy.id, start: '2021-01-01', end: '2021-02-01' } })
  ).json()) as { id: string };
  await finished(request, `/api/v1/backtests/${backtest.id}`, accessToken);
  const badMethod = await request.post(`/api/v1/backtests/${backtest.id}/monte-carlo`, { headers: auth(accessToken), data: { method: 'tarot', runs: 1000 } });
  expect(badMethod.status()).toBe(422);
  expect((await badMethod.json()).error.details.fields[0].field).toBe('method');
  const fewRuns = await request.post(`/api/v1/backtests/${backtest.id}/monte-carlo`, { headers: auth(accessToken), data: { method: 'shuffle', runs: 10 } });
  expect((await fewRuns.json()).error.details.fields[0]).toMatchObject({ field: 'runs', message: 'must be at least 1000' });
  expect(
    (await request.post(`/api/v1/backtests/${backtest.id}/monte-carlo`, { headers: auth(other.accessToken), data: { method: 'shuffle' } })).status(),
    'another user’s backtest does not exist',
  ).toBe(404);

  const request1 = { method: 'bootstrap', runs: 2000, seed: 42, ruinDrawdownPct: 5 };
  const first = await request.post(`/api/v1/backtests/${backtest.id}/monte-carlo`, { headers: auth(accessToken), data: request1 });
  expect(first.status()).toBe(202);
  const firstId = ((await first.json()) as { id: string }).id;
  const a = await finished(request, `/api/v1/monte-carlo/${firstId}`, accessToken);
  expect(a).toMatchObject({ status: 'completed', method: 'bootstrap', runs: 2000, seed: 42, ruinDrawdownPct: 5 });
  const p = a.finalReturnPct as { p5: number; p50: number; p95: number };
  expect(p.p5).toBeLessThanOrEqual(p.p50);
  expect(p.p50).toBeLessThanOrEqual(p.p95);
  expect(a.ruinProbability).toEqual(expect.any(Number));
  expect((a.bands as unknown[]).length).toBeGreaterThan(1);

  const secondId = (
    (await (await request.post(`/api/v1/backtests/${backtest.id}/monte-carlo`, { headers: auth(accessToken), data: request1 })).json()) as { id: string }
  ).id;
  const b = await finished(request, `/api/v1/monte-carlo/${secondId}`, accessToken);
  const strip = ({ id: _id, createdAt: _c, finishedAt: _f, ...rest }: Record<string, unknown>) => JSON.stringify(rest);
  expect(strip(b), 'the same request gives the same bytes').toBe(strip(a));
});
