import { expect, test, type APIRequestContext, type Locator } from './contract';
import { registerAndToken, seedBtcCandles, signInWithPassword } from './helpers';

/**
 * The sweep heatmap's colours diverge at zero on a real sweep: a cell with a positive return is green, one with
 * a negative return is red (read from the browser's computed colour, in the dark and the light theme), and the
 * legend shows the scale's ends and its zero. At 360 px the grid scrolls inside its own box, not the page.
 */
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function createSweep(request: APIRequestContext, token: string): Promise<{ id: string; returns: number[] }> {
  const strategy = await request.post('/api/v1/strategies', {
    headers: auth(token),
    data: { name: 'Heatmap SMA', type: 'sma_crossover', params: {}, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  expect(strategy.status(), await strategy.text()).toBe(201);
  const sweep = await request.post('/api/v1/sweeps', {
    headers: auth(token),
    data: {
      strategyId: (await strategy.json()).id,
      // Late February 2021: BTC fell from 58k to 45k and recovered, so some crossovers won and some lost.
      start: '2021-02-14T00:00:00Z',
      end: '2021-03-10T00:00:00Z',
      initialCapital: 10000,
      feeRate: 0.001,
      slippage: 0.0005,
      ranges: { fastPeriod: { min: 5, max: 25, step: 5 }, slowPeriod: { values: [30, 40, 50, 60, 70, 80, 90, 100] } },
    },
  });
  expect(sweep.status(), await sweep.text()).toBe(202);
  const id = (await sweep.json()).id as string;
  let body: { status: string; results: { metrics: { totalReturnPct: number } | null }[] } = { status: 'queued', results: [] };
  await expect
    .poll(
      async () => {
        body = await (await request.get(`/api/v1/sweeps/${id}`, { headers: auth(token) })).json();
        return body.status;
      },
      { timeout: 90_000 },
    )
    .toBe('completed');
  return { id, returns: body.results.flatMap((r) => (r.metrics ? [r.metrics.totalReturnPct] : [])) };
}

/** The cell's computed background as sRGB 0–255 (Chromium reports color-mix() results as `color(srgb r g b)`). */
async function rgb(cell: Locator): Promise<[number, number, number]> {
  const css = await cell.evaluate((el) => getComputedStyle(el).backgroundColor);
  const srgb = /color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)/.exec(css);
  if (srgb) return [Number(srgb[1]) * 255, Number(srgb[2]) * 255, Number(srgb[3]) * 255];
  const plain = /rgba?\((\d+), (\d+), (\d+)/.exec(css);
  if (!plain) throw new Error(`unreadable colour ${css}`);
  return [Number(plain[1]), Number(plain[2]), Number(plain[3])];
}

test('the sweep heatmap diverges at zero, has a legend and fits a phone', async ({ page }) => {
  test.setTimeout(180_000);
  await seedBtcCandles();
  const { username, accessToken } = await registerAndToken(page.request, 'heatmap');
  const sweep = await createSweep(page.request, accessToken);
  expect(sweep.returns.some((r) => r > 0) && sweep.returns.some((r) => r < 0), `returns ${sweep.returns.join(', ')}`).toBe(true);

  await signInWithPassword(page, username);
  await page.goto(`/backtests/sweeps/${sweep.id}`);
  const heatmap = page.getByTestId('sweep-heatmap');
  await expect(heatmap).toBeVisible({ timeout: 30_000 });
  const cells = page.getByTestId('heatmap-cell-bg');
  await expect(cells).toHaveCount(40);

  const values = await cells.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-value'))));
  const best = values.indexOf(Math.max(...values));
  const worst = values.indexOf(Math.min(...values));
  expect(values[best]).toBeGreaterThan(0);
  expect(values[worst]).toBeLessThan(0);

  for (const theme of ['dark', 'light'] as const) {
    await page.evaluate((t) => {
      document.documentElement.classList.remove('dark', 'light');
      document.documentElement.classList.add(t);
    }, theme);
    const [gr, gg, gb] = await rgb(cells.nth(best));
    expect(gg, `${theme}: the best (positive) cell is green-ish: ${gr},${gg},${gb}`).toBeGreaterThan(gr + 40);
    expect(gg).toBeGreaterThan(gb);
    const [lr, lg, lb] = await rgb(cells.nth(worst));
    expect(lr, `${theme}: the worst (negative) cell is red-ish: ${lr},${lg},${lb}`).toBeGreaterThan(lg + 40);
    expect(lr).toBeGreaterThan(lb);
    // Every positive cell is on the gain side, every negative one on the loss side (the old scale made +15 % red).
    const tones = await cells.evaluateAll((els) => els.map((el) => [Number(el.getAttribute('data-value')), el.getAttribute('data-tone')] as const));
    for (const [v, tone] of tones) expect(tone, `value ${v}`).toBe(v > 0 ? 'gain' : v < 0 ? 'loss' : 'neutral');
  }

  const legend = page.getByTestId('heatmap-legend');
  await expect(legend).toBeVisible();
  await expect(legend.getByTestId('heatmap-legend-pivot')).toHaveText('0.00 %');
  await expect(legend.getByTestId('heatmap-legend-min')).toHaveText(/^−[\d,.]+ %$/);
  await expect(legend.getByTestId('heatmap-legend-max')).toHaveText(/^\+[\d,.]+ %$/);

  await page.setViewportSize({ width: 360, height: 780 });
  await expect(legend).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth), 'the page does not scroll sideways at 360 px').toBeLessThanOrEqual(360);
  const box = await heatmap.boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(360);
});
