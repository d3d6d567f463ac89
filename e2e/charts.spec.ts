import { chartState, pointAtCandle, waitForChart } from './price-chart';
import { expect, test, type APIRequestContext, type Page } from './contract';
import { seedBtcCandles, signInAsNewUser } from './helpers';

/**
 * Price charts beyond the backtest page (issue #14), desktop only (the phone readout is covered by
 * consistency.journey): a deployment's chart reads its own bars and fills; a long series pans and zooms without a
 * main-thread task over 100 ms and under 200 MB of page memory.
 */

test.beforeAll(seedBtcCandles);

interface Window {
  bucketMs: number;
  candles: { time: number[]; open: number[]; close: number[] };
  markers: Array<{ time: number; tradeNumber: number; side: string }>;
}

async function backtested(request: APIRequestContext, market: { exchange: string; symbol: string; timeframe: string }, range: { start: string; end: string }) {
  const created = await request.post('/api/v1/strategies', {
    data: { name: 'Chart', type: 'sma_crossover', params: { fastPeriod: 5, slowPeriod: 20 }, ...market },
  });
  expect(created.status(), await created.text()).toBe(201);
  const strategyId = ((await created.json()) as { id: string }).id;
  const queued = await request.post('/api/v1/backtests', { data: { strategyId, ...range, initialCapital: 10000, feeRate: 0.001, slippage: 0.0005 } });
  expect(queued.status(), await queued.text()).toBe(202);
  const backtestId = ((await queued.json()) as { id: string }).id;
  await expect
    .poll(async () => ((await (await request.get(`/api/v1/backtests/${backtestId}`)).json()) as { status: string }).status, { timeout: 90_000 })
    .toBe('completed');
  return { strategyId, backtestId };
}

async function hoverReads(page: Page, chart: ReturnType<Page['getByTestId']>, candle: number): Promise<void> {
  expect(await pointAtCandle(page, chart, candle, false), 'the candle is drawn').toBe(true);
  await expect(page.getByTestId('chart-readout')).toHaveAttribute('data-time', String(candle));
}

test('a deployment’s chart: its bars with the readout of the bar under the cursor, its fills as markers on their bars', async ({ page }) => {
  test.setTimeout(240_000);
  await signInAsNewUser(page, 'depchart');
  const { strategyId } = await backtested(
    page.request,
    { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    { start: '2021-01-01T00:00:00Z', end: '2021-02-01T00:00:00Z' },
  );
  const account = await page.request.post('/api/v1/accounts', { data: { name: 'Chart desk', exchange: 'paper', balances: { USDT: '10000' } } });
  expect(account.status(), await account.text()).toBe(201);
  const accountId = ((await account.json()) as { id: string }).id;
  const deployed = await page.request.post(`/api/v1/strategies/${strategyId}/deployments`, {
    data: { accountId, mode: 'paper', feed: { type: 'replay', start: '2021-03-01T00:00:00Z', speed: 360000 } },
  });
  expect(deployed.status(), await deployed.text()).toBe(201);
  const deploymentId = ((await deployed.json()) as { id: string }).id;
  await expect
    .poll(async () => ((await (await page.request.get(`/api/v1/deployments/${deploymentId}`)).json()) as { state: string }).state, { timeout: 120_000 })
    .toBe('completed');

  const api = (await (await page.request.get(`/api/v1/deployments/${deploymentId}/chart?maxBars=5000`)).json()) as Window;
  expect(api.candles.time.length, 'a month of hourly bars').toBeGreaterThan(500);
  expect(api.markers.length, 'the replay traded').toBeGreaterThan(1);

  await page.goto(`/deployments/${deploymentId}`);
  const chart = page.getByTestId('deployment-price-chart').getByTestId('price-chart');
  await waitForChart(chart);
  const { bucketMs, visibleFrom, visibleTo } = await chartState(chart);
  const byTime = async (candle: number) => {
    const w = (await (
      await page.request.get(`/api/v1/deployments/${deploymentId}/chart?from=${candle}&to=${candle + bucketMs}&maxBars=5000`)
    ).json()) as Window;
    return { open: w.candles.open[0]!, close: w.candles.close.at(-1)! };
  };
  for (const fraction of [0.15, 0.5, 0.8]) {
    const candle = Math.floor((visibleFrom + fraction * (visibleTo - visibleFrom)) / bucketMs) * bucketMs;
    await hoverReads(page, chart, candle);
    const expected = await byTime(candle);
    const readout = page.getByTestId('chart-readout');
    expect(Number(await readout.getAttribute('data-open')), `open at ${fraction}`).toBe(expected.open);
    expect(Number(await readout.getAttribute('data-close')), `close at ${fraction}`).toBe(expected.close);
  }
  // A fill's marker sits on its bar: hovering that bar lists the fill.
  const shown = (await (await page.request.get(`/api/v1/deployments/${deploymentId}/chart?from=${visibleFrom}&to=${visibleTo}&maxBars=5000`)).json()) as Window;
  const marker = shown.markers.find((m) => m.time > visibleFrom + (visibleTo - visibleFrom) * 0.05 && m.time < visibleTo - (visibleTo - visibleFrom) * 0.2);
  expect(marker, 'a fill inside the visible range').toBeTruthy();
  const candle = Math.floor(marker!.time / bucketMs) * bucketMs;
  await hoverReads(page, chart, candle);
  await expect(page.locator(`[data-testid="readout-trade"][data-trade="${marker!.tradeNumber}"]`).first(), 'the fill is on its bar').toBeVisible();
});

test('Markets: a stored market’s chart reads the candle under the cursor', async ({ page }) => {
  await signInAsNewUser(page, 'mktchart');
  await page.goto('/markets');
  await page.getByLabel('Exchange').selectOption('binance');
  await page.getByLabel('Symbol').fill('BTC/USDT');
  await page.getByLabel('Timeframe').selectOption('1h');
  const chart = page.getByTestId('price-chart');
  await waitForChart(chart);
  const { bucketMs, visibleFrom, visibleTo } = await chartState(chart);
  for (const fraction of [0.25, 0.7]) {
    const candle = Math.floor((visibleFrom + fraction * (visibleTo - visibleFrom)) / bucketMs) * bucketMs;
    await hoverReads(page, chart, candle);
    const query = `exchange=binance&symbol=BTC/USDT&timeframe=1h&from=${candle}&to=${candle + bucketMs}&maxBars=5000`;
    const w = (await (await page.request.get(`/api/v1/market-data/chart?${query}`)).json()) as Window;
    expect(Number(await page.getByTestId('chart-readout').getAttribute('data-close')), `close at ${fraction}`).toBe(w.candles.close.at(-1));
  }
});
