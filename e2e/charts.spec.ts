import { backtested, chartState, dragPan, pointAtCandle, waitForChart } from './price-chart';
import { expect, test, type Page } from './contract';
import { seedBtcCandles, signInAsNewUser } from './helpers';

/**
 * Price charts beyond the backtest page (issue #14), desktop only (the phone readout is covered by
 * chart-readout.journey): a deployment's chart reads its own bars and fills and keeps the user's zoom as bars arrive
 * (a year of 1-minute bars: chart-year.spec.ts).
 */

test.beforeAll(seedBtcCandles);

interface Window {
  bucketMs: number;
  candles: { time: number[]; open: number[]; close: number[] };
  markers: Array<{ time: number; tradeNumber: number; side: string }>;
}

async function hoverReads(page: Page, chart: ReturnType<Page['getByTestId']>, candle: number): Promise<void> {
  expect(await pointAtCandle(page, chart, candle, false), 'the candle is drawn').toBe(true);
  await expect(page.getByTestId('chart-readout')).toHaveAttribute('data-time', String(candle));
}

/**
 * A new user's paper deployment of an SMA crossover backtested over January 2021 (to `backtestEnd`) of the seeded
 * BTC/USDT 1h candles, fed by a replay from 2021-03-01 at `speed`× real time; its id.
 */
async function replayDeployment(page: Page, user: string, backtestEnd: string, speed: number): Promise<string> {
  await signInAsNewUser(page, user);
  const { strategyId } = await backtested(
    page.request,
    { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    { start: '2021-01-01T00:00:00Z', end: backtestEnd },
  );
  const account = await page.request.post('/api/v1/accounts', { data: { name: `${user} desk`, exchange: 'paper', balances: { USDT: '10000' } } });
  expect(account.status(), await account.text()).toBe(201);
  const accountId = ((await account.json()) as { id: string }).id;
  const deployed = await page.request.post(`/api/v1/strategies/${strategyId}/deployments`, {
    data: { accountId, mode: 'paper', feed: { type: 'replay', start: '2021-03-01T00:00:00Z', speed } },
  });
  expect(deployed.status(), await deployed.text()).toBe(201);
  return ((await deployed.json()) as { id: string }).id;
}

test('a deployment’s chart: its bars with the readout of the bar under the cursor, its fills as markers on their bars', async ({ page }) => {
  test.setTimeout(240_000);
  const deploymentId = await replayDeployment(page, 'depchart', '2021-02-01T00:00:00Z', 360_000);
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

test('a live deployment’s chart follows new bars at the right edge and keeps a panned view as they arrive', async ({ page }) => {
  test.setTimeout(240_000);
  // An hourly replay at 3,600× real time: a new bar every second while the test looks.
  const deploymentId = await replayDeployment(page, 'livechart', '2021-01-15T00:00:00Z', 3_600);
  try {
    await page.goto(`/deployments/${deploymentId}`);
    const chart = page.getByTestId('deployment-price-chart').getByTestId('price-chart');
    await waitForChart(chart);
    await chart.scrollIntoViewIfNeeded();
    // At first the whole series is in view, up to its latest bar: new bars come into view.
    const first = await chartState(chart);
    await expect
      .poll(async () => (await chartState(chart)).last, { message: 'the chart takes in new bars', timeout: 60_000 })
      .toBeGreaterThan(first.last + 6 * 3_600_000);
    await expect.poll(async () => (await chartState(chart)).visibleTo, { message: 'it follows them' }).toBeGreaterThan(first.visibleTo);
    // Panned back from the latest bar: new bars arrive, the view stays where the user put it.
    await dragPan(page, chart, 0.2, 0.8);
    await expect
      .poll(async () => (await chartState(chart)).visibleTo, { message: 'the latest bar is out of view' })
      .toBeLessThan((await chartState(chart)).last);
    const panned = await chartState(chart);
    for (let k = 0; k < 2; k++) {
      const last = (await chartState(chart)).last;
      await expect.poll(async () => (await chartState(chart)).last, { message: 'more bars arrive', timeout: 60_000 }).toBeGreaterThan(last);
      const now = await chartState(chart);
      expect(Math.abs(now.visibleFrom - panned.visibleFrom), 'the view’s start stays where the user put it').toBeLessThanOrEqual(now.bucketMs);
      expect(Math.abs(now.visibleTo - panned.visibleTo), 'so does its end').toBeLessThanOrEqual(now.bucketMs);
    }
  } finally {
    await page.request.post(`/api/v1/deployments/${deploymentId}/stop`);
  }
});
