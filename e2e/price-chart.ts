import { expect, type APIRequestContext, type Locator, type Page } from './contract';

/** Where the price chart draws a time (px from its left edge), by the chart's own time scale; null when not drawn. */
async function chartX(chart: Locator, timeMs: number): Promise<number | null> {
  return chart.evaluate((element, t) => (element as HTMLElement & { timeToX: (ms: number) => number | null }).timeToX(t), timeMs);
}

/** Hovers (desktop) or taps (phone) the candle at `timeMs`; returns false when it is not drawn. */
export async function pointAtCandle(page: Page, chart: Locator, timeMs: number, isMobile: boolean): Promise<boolean> {
  await chart.scrollIntoViewIfNeeded();
  const x = await chartX(chart, timeMs);
  const box = await chart.boundingBox();
  if (x === null || !box || x < 2 || x > box.width - 80) return false;
  if (isMobile) await page.touchscreen.tap(box.x + x, box.y + box.height * 0.3);
  else await page.mouse.move(box.x + x, box.y + box.height * 0.3);
  return true;
}

/** The numbers on the chart's container: candles held, bucket width, the visible range (ms). */
export async function chartState(chart: Locator) {
  const attr = async (name: string) => Number(await chart.getAttribute(name));
  return {
    candles: await attr('data-candles'),
    bucketMs: await attr('data-bucket-ms'),
    visibleFrom: await attr('data-visible-from'),
    visibleTo: await attr('data-visible-to'),
  };
}

export async function waitForChart(chart: Locator): Promise<void> {
  await expect(chart.locator('canvas').first(), 'the price chart draws').toBeVisible({ timeout: 30_000 });
  await expect.poll(async () => Number(await chart.getAttribute('data-candles')), { message: 'candles loaded', timeout: 30_000 }).toBeGreaterThan(0);
  await expect.poll(async () => Number(await chart.getAttribute('data-visible-to')), { message: 'a visible range' }).toBeGreaterThan(0);
}

/** OHLC of bucket [start, start + bucketMs) from the raw bars of the window API (the bucket rule, by hand). */
export async function expectedCandle(page: Page, backtestId: string, start: number, bucketMs: number) {
  const response = await page.request.get(`/api/v1/backtests/${backtestId}/chart?from=${start}&to=${start + bucketMs}&maxBars=5000`);
  expect(response.status()).toBe(200);
  const { candles } = (await response.json()) as { candles: { time: number[]; open: number[]; high: number[]; low: number[]; close: number[] } };
  const n = candles.time.length;
  return n === 0 ? null : { open: candles.open[0]!, high: Math.max(...candles.high), low: Math.min(...candles.low), close: candles.close[n - 1]! };
}

/** A completed backtest of a DCA strategy over nine days of the seeded BTC/USDT 1h candles. */
export async function backtestedStrategy(request: APIRequestContext): Promise<{ strategyId: string; backtestId: string }> {
  const created = await request.post('/api/v1/strategies', {
    data: { name: 'Same numbers', type: 'dca', params: { intervalBars: 1, amountPerBuy: 50 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  expect(created.status(), await created.text()).toBe(201);
  const strategyId = ((await created.json()) as { id: string }).id;
  const queued = await request.post('/api/v1/backtests', {
    data: { strategyId, start: '2021-01-01T00:00:00Z', end: '2021-01-10T00:00:00Z', initialCapital: 10000, feeRate: 0.001, slippage: 0.0005 },
  });
  expect(queued.status(), await queued.text()).toBe(202);
  const backtestId = ((await queued.json()) as { id: string }).id;
  await expect
    .poll(async () => ((await (await request.get(`/api/v1/backtests/${backtestId}`)).json()) as { status: string }).status, {
      message: 'the worker completes the backtest',
      timeout: 60_000,
    })
    .toBe('completed');
  return { strategyId, backtestId };
}
