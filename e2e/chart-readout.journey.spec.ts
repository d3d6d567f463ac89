import { backtestedStrategy, chartState, expectedCandle, pointAtCandle, waitForChart } from './price-chart';
import { expect, test } from './contract';
import { seedBtcCandles, signInAsNewUser } from './helpers';

test.beforeAll(seedBtcCandles);

/** The price chart's readout follows the cursor on a laptop and the finger on a phone (issue #14). */
test('the price chart readout shows the candle under the cursor (or the finger)', async ({ page, isMobile }) => {
  test.setTimeout(120_000);
  await signInAsNewUser(page, 'tip');
  const { backtestId } = await backtestedStrategy(page.request);
  await page.goto(`/backtests/${backtestId}`);
  const chart = page.getByTestId('price-chart');
  await waitForChart(chart);
  await chart.scrollIntoViewIfNeeded();
  const { bucketMs, visibleFrom, visibleTo } = await chartState(chart);
  const readout = page.getByTestId('chart-readout');
  const seen: number[] = [];
  for (const fraction of [0.1, 0.35, 0.6, 0.85]) {
    const candle = Math.floor((visibleFrom + fraction * (visibleTo - visibleFrom)) / bucketMs) * bucketMs;
    expect(await pointAtCandle(page, chart, candle, isMobile), `the candle at ${fraction * 100}% is drawn`).toBe(true);
    await expect(readout, `the readout at ${fraction * 100}% of the width shows that candle`).toHaveAttribute('data-time', String(candle));
    const expected = (await expectedCandle(page, backtestId, candle, bucketMs))!;
    expect(Number(await readout.getAttribute('data-open')), "that candle's open").toBe(expected.open);
    expect(Number(await readout.getAttribute('data-high'))).toBe(expected.high);
    expect(Number(await readout.getAttribute('data-low'))).toBe(expected.low);
    expect(Number(await readout.getAttribute('data-close')), "that candle's close").toBe(expected.close);
    await expect(readout, 'the close as a price').toContainText(/C [\d,]+\.\d{2}/);
    seen.push(candle);
  }
  expect(new Set(seen).size, 'a different candle at each position').toBe(4);
});
