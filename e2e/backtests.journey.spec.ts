import { readFileSync } from 'node:fs';
import { expect, test } from './contract';
import { navigate, seedBtcCandles, signInAsNewUser } from './helpers';
import { chartState, dragPan, pointAtCandle, waitForChart, wheelUntil } from './price-chart';

test.beforeAll(seedBtcCandles);

test('create a strategy from its form, backtest it, see charts, markers and trades, then sweep two parameters', async ({ page, isMobile }) => {
  test.setTimeout(180_000);
  await signInAsNewUser(page, 'bt-journey');
  await navigate(page, 'Strategies');
  await expect(page.getByRole('heading', { level: 1, name: 'Strategies' })).toBeVisible();
  await page.getByRole('link', { name: 'New strategy' }).first().click();

  await page.getByLabel('Name').fill('Journey SMA');
  await page.getByLabel('Strategy type').selectOption('sma_crossover');
  await expect(page.getByText('Bars in the fast', { exact: false }).first(), 'parameter descriptions are the help text').toBeVisible();
  await page.getByLabel('Fast period (bars)').fill('0');
  await page.getByRole('button', { name: 'Create strategy' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'fastPeriod' }), 'an out-of-range parameter is refused by name').toBeVisible();
  await page.getByLabel('Fast period (bars)').fill('5');
  await page.getByLabel('Slow period (bars)').fill('20');
  await page.getByRole('button', { name: 'Create strategy' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Journey SMA' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Lifecycle' }).locator('[aria-current="step"]')).toHaveText('draft');

  const backtestForm = page.getByRole('form', { name: 'Run a backtest' });
  await backtestForm.getByLabel('Start (UTC)').fill('2021-01-01');
  await backtestForm.getByLabel('End (UTC, exclusive)').fill('2021-02-01');
  await backtestForm.getByRole('button', { name: 'Run backtest' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Backtest' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('metric-totalReturnPct'), 'the worker ran it and the page shows the results').toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('metric-tradeCount')).toContainText(/\d/);
  await expect(page.getByTestId('equity-chart').locator('.recharts-line')).toBeVisible();
  await expect(page.getByTestId('drawdown-chart').locator('.recharts-area')).toBeVisible();
  const chart = page.getByTestId('price-chart');
  await waitForChart(chart);
  const backtestId = page.url().split('/').pop()!;
  const window = (await (await page.request.get(`/api/v1/backtests/${backtestId}/chart`)).json()) as {
    plots: Array<{ name: string }>;
    markers: Array<{ time: number; tradeNumber: number; side: string }>;
  };
  expect(
    window.plots.map((p) => p.name),
    "the strategy's two averages are plotted",
  ).toEqual(['fast_ma', 'slow_ma']);
  await expect(page.getByTestId('readout-plot-fast_ma'), 'the readout names the plots').toContainText('Fast SMA');
  // Markers sit on their bars: pointing at the bar of trade 1's entry and exit shows that trade in the readout.
  for (const side of ['buy', 'sell']) {
    const marker = window.markers.find((m) => m.tradeNumber === 1 && m.side === side)!;
    const { bucketMs } = await chartState(chart);
    const candle = Math.floor(marker.time / bucketMs) * bucketMs;
    expect(await pointAtCandle(page, chart, candle, isMobile), `trade 1's ${side} bar is drawn`).toBe(true);
    await expect(page.getByTestId('chart-readout')).toHaveAttribute('data-time', String(candle));
    await expect(page.getByTestId('readout-trade').filter({ hasText: 'Trade #1 ' }).first(), `trade 1's ${side} on its bar`).toContainText(side);
  }
  const trades = page.getByTestId('trade-row');
  expect(await trades.count(), 'the trade table lists the trades').toBeGreaterThan(0);
  if (!isMobile) {
    // The wheel zooms in around the cursor; zoomed in far enough, the chart loads the hourly candles themselves.
    const before = await chartState(chart);
    expect(before.bucketMs, 'a month of hours on a desktop-wide chart starts aggregated').toBeGreaterThan(3_600_000);
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.3);
    for (let k = 0; k < 12; k++) await page.mouse.wheel(0, -240);
    await expect.poll(async () => (await chartState(chart)).bucketMs, { message: 'zoomed in: hourly candles' }).toBe(3_600_000);
    const after = await chartState(chart);
    expect(after.visibleTo - after.visibleFrom, 'a narrower visible range').toBeLessThan((before.visibleTo - before.visibleFrom) / 2);
    // Panned at hourly candles, then zoomed out again: the wide view is drawn in aggregated candles once more.
    await dragPan(page, chart, 0.7, 0.3);
    await dragPan(page, chart, 0.3, 0.8);
    await wheelUntil(
      page,
      chart,
      { x: 0.5, deltaY: 240, message: 'zoomed out after panning: aggregated candles again' },
      (s) => s.bucketMs > 3_600_000 && s.visibleTo - s.visibleFrom >= before.visibleTo - before.visibleFrom - s.bucketMs,
    );
  }
  // Clicking a trade's row brings it into view on the chart.
  const lastRow = trades.last();
  const tradeNumber = Number(await lastRow.getAttribute('data-trade'));
  const entry = window.markers.find((m) => m.tradeNumber === tradeNumber && m.side === 'buy')!.time;
  await lastRow.click();
  await expect
    .poll(
      async () => {
        const state = await chartState(chart);
        return state.visibleFrom <= entry && entry <= state.visibleTo;
      },
      { message: `trade #${tradeNumber}'s entry is in view after clicking its row` },
    )
    .toBe(true);
  expect(await pointAtCandle(page, chart, entry, isMobile), 'its entry bar is drawn').toBe(true);
  await expect(
    page
      .getByTestId('readout-trade')
      .filter({ hasText: `Trade #${tradeNumber} ` })
      .first(),
  ).toContainText('buy');
  const firstTrade = trades.first().locator('td');
  await expect(firstTrade.nth(0), 'bar times in the one date-time format, with their zone').toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
  await expect(firstTrade.nth(2), 'a BTC price grouped by thousands').toHaveText(/^\d{1,3}(,\d{3})+\.\d{2}$/);
  await expect(firstTrade.nth(5), 'a fee to at most 8 decimals').toHaveText(/^(<)?[\d,]+(\.\d{1,8})?$/);
  await expect(page.getByText(/capital 10,000\.00 ·/), 'the capital as money').toBeVisible();
  const pnlColumn = async () => {
    const headers = await page.getByRole('table', { name: 'Trades' }).locator('thead th').allInnerTexts();
    const index = headers.findIndex((h) => h.trim().startsWith('PnL %'));
    const cells = await trades.locator(`td:nth-child(${index + 1})`).allInnerTexts();
    return cells.map((c) => Number(c.replace(/[\u2212\u2013]/g, '-').replace(/[^0-9.\-]/g, '')));
  };
  await page.getByRole('button', { name: 'PnL %' }).click();
  await expect(page.getByRole('columnheader', { name: 'PnL %' })).toHaveAttribute('aria-sort', 'descending');
  const descending = await pnlColumn();
  expect(descending, 'first click: best trade first').toEqual([...descending].sort((a, b) => b - a));
  await page.getByRole('button', { name: 'PnL %' }).click();
  await expect(page.getByRole('columnheader', { name: 'PnL %' })).toHaveAttribute('aria-sort', 'ascending');
  const ascending = await pnlColumn();
  expect(ascending, 'second click: worst trade first').toEqual([...ascending].sort((a, b) => a - b));
  expect(
    ascending.every((v) => Number.isFinite(v)),
    'PnL % cells are numbers',
  ).toBe(true);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  expect((await download).suggestedFilename()).toMatch(/trades\.csv$/);
  const csv = readFileSync((await (await download).path())!, 'utf8')
    .trim()
    .split('\r\n');
  expect(csv[0]).toBe('entryTime,exitTime,entryPrice,exitPrice,quantity,fee,pnl,pnlPct,exitReason,symbol');
  expect(csv.length, 'a line per trade').toBeGreaterThan(1);
  for (const line of csv.slice(1)) {
    const [entryTime, exitTime, ...rest] = line.split(',');
    expect(entryTime, 'ISO 8601 UTC times').toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(exitTime).toMatch(/Z$/);
    for (const value of rest.slice(0, 6)) {
      expect(value, `an exact decimal string in "${line}"`).toMatch(/^-?\d+(\.\d+)?$/);
      expect(value.replace(/^-|\./g, '').replace(/^0+/, '').length, `at most 15 significant digits, no float noise: ${value}`).toBeLessThanOrEqual(15);
    }
  }

  await page.getByRole('link', { name: 'Strategy' }).click();
  await expect(page.getByRole('list', { name: 'Lifecycle' }).locator('[aria-current="step"]'), 'a completed backtest makes it backtested').toHaveText(
    'backtested',
  );
  const sweepForm = page.getByRole('form', { name: 'Parameter sweep' });
  await sweepForm.getByRole('checkbox', { name: 'Fast period (bars)' }).check();
  await sweepForm.getByLabel('Fast period (bars) min').fill('5');
  await sweepForm.getByLabel('Fast period (bars) max').fill('10');
  await sweepForm.getByLabel('Fast period (bars) step').fill('5');
  await sweepForm.getByRole('checkbox', { name: 'Slow period (bars)' }).check();
  await sweepForm.getByLabel('Slow period (bars) min').fill('20');
  await sweepForm.getByLabel('Slow period (bars) max').fill('30');
  await sweepForm.getByLabel('Slow period (bars) step').fill('10');
  await sweepForm.getByLabel('Start (UTC)').fill('2021-01-01');
  await sweepForm.getByLabel('End (UTC, exclusive)').fill('2021-02-01');
  await sweepForm.getByRole('button', { name: 'Run sweep' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Parameter sweep' })).toBeVisible();
  await expect(page.getByTestId('sweep-heatmap'), 'the heatmap appears once the sweep completed').toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('heatmap-cell')).toHaveCount(4);
  await expect(page.getByTestId('sweep-row')).toHaveCount(4);
  await page.getByTestId('sweep-row').first().getByRole('button', { name: 'Open as backtest' }).click();
  await expect(page.getByTestId('metric-totalReturnPct'), 'opened as a full backtest').toBeVisible({ timeout: 30_000 });
});
