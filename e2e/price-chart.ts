import postgres from 'postgres';
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
    last: await attr('data-last'),
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

/** A year of 1-minute bars (525,600: the long series) of a random walk, as binance ETH/USDT 1m over 2022. */
export async function seedYearOfMinutes(): Promise<{ start: string; end: string }> {
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  const start = Date.parse('2022-01-01T00:00:00Z');
  // Generated in the database: one statement, no half-million-row parameter to send.
  await sql.begin(async (tx) => {
    await tx`select setseed(0.2022)`;
    await tx`
      with steps as (
        select i, ln(1 + (random() - 0.5) * 0.004) as r from generate_series(0, 525599) as i
      ), walk as (
        select i, 3000 * exp(sum(r) over (order by i) - r) as o, 3000 * exp(sum(r) over (order by i)) as c from steps
      )
      insert into candles (exchange, symbol, timeframe, time, open, high, low, close, volume)
      select 'binance', 'ETH/USDT', '1m', ${start}::bigint + i::bigint * 60000, o, greatest(o, c) * 1.0005, least(o, c) * 0.9995, c, 1 + (i % 97) / 10.0
      from walk
      on conflict do nothing`;
  });
  await sql.end();
  return { start: '2022-01-01T00:00:00Z', end: '2023-01-01T00:00:00Z' };
}

/**
 * Turns the wheel over the chart at `x` (a fraction of its width) a few notches at a time until `done` holds for the
 * chart's state — the way a user keeps zooming until the chart shows what they want.
 */
export async function wheelUntil(
  page: Page,
  chart: Locator,
  { x, deltaY, notches = 4, message, timeout = 60_000 }: { x: number; deltaY: number; notches?: number; message: string; timeout?: number },
  done: (state: Awaited<ReturnType<typeof chartState>>) => boolean,
): Promise<void> {
  const box = (await chart.boundingBox())!;
  await page.mouse.move(box.x + box.width * x, box.y + box.height * 0.3);
  await expect
    .poll(
      async () => {
        if (done(await chartState(chart))) return true;
        for (let k = 0; k < notches; k++) await page.mouse.wheel(0, deltaY);
        return done(await chartState(chart));
      },
      { message, timeout, intervals: [200] },
    )
    .toBe(true);
}

/** Drags the chart from `fromX` to `toX` (fractions of its width) and waits until the view has moved. */
export async function dragPan(page: Page, chart: Locator, fromX: number, toX: number): Promise<void> {
  const box = (await chart.boundingBox())!;
  const y = box.y + box.height * 0.3;
  const before = (await chartState(chart)).visibleFrom;
  await page.mouse.move(box.x + box.width * fromX, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * toX, y, { steps: 8 });
  await page.mouse.up();
  await expect.poll(async () => (await chartState(chart)).visibleFrom, { message: 'the drag pans' }).not.toBe(before);
}

/** A completed backtest of an SMA crossover (5/20) over `range` of a stored market. */
export async function backtested(
  request: APIRequestContext,
  market: { exchange: string; symbol: string; timeframe: string },
  range: { start: string; end: string },
) {
  const created = await request.post('/api/v1/strategies', {
    data: { name: 'Chart', type: 'sma_crossover', params: { fastPeriod: 5, slowPeriod: 20 }, ...market },
  });
  expect(created.status(), await created.text()).toBe(201);
  const strategyId = ((await created.json()) as { id: string }).id;
  const queued = await request.post('/api/v1/backtests', { data: { strategyId, ...range, initialCapital: 10000, feeRate: 0.001, slippage: 0.0005 } });
  expect(queued.status(), await queued.text()).toBe(202);
  const backtestId = ((await queued.json()) as { id: string }).id;
  await expect
    .poll(async () => ((await (await request.get(`/api/v1/backtests/${backtestId}`)).json()) as { status: string }).status, {
      message: 'the worker completes the backtest',
      timeout: 180_000,
    })
    .toBe('completed');
  return { strategyId, backtestId };
}
