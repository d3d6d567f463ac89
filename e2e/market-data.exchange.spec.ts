import { expect, test, type APIRequestContext, type Page } from './contract';
import { E2E_ADMIN } from './global-setup';
import { navigate } from './helpers';
import { localCandles, localExchangeGet } from './local-exchange';
import { chartState, pointAtCandle, waitForChart } from './price-chart';

/**
 * The Data and Markets pages against the local Binance (e2e/local-exchange.ts): imports, "fill gaps",
 * cancel, and the Markets page straight from the exchange. Nothing here reaches a real exchange host.
 */

const H = 3_600_000;
const BTC_1H = localCandles('BTC');
const BTC_5M_COUNT = localCandles('BTC', '5m').length;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function adminToken(request: APIRequestContext): Promise<string> {
  const response = await request.post('/api/v1/auth/token', { data: E2E_ADMIN });
  expect(response.status()).toBe(200);
  return (await response.json()).accessToken;
}

async function signInAsAdmin(page: Page): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(E2E_ADMIN.username);
  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

async function storedCount(request: APIRequestContext, token: string, symbol: string, timeframe: string): Promise<number> {
  const response = await request.get(`/api/v1/market-data/coverage?exchange=binance&symbol=${encodeURIComponent(symbol)}&timeframe=${timeframe}`, {
    headers: bearer(token),
  });
  expect(response.status()).toBe(200);
  return ((await response.json()).series[0]?.count as number | undefined) ?? 0;
}

test.describe('market data from the local Binance', () => {
  // An import left running would hold the worker's job runner (backtests wait behind it): cancel what is left.
  test.afterEach(async ({ request }) => {
    const token = await adminToken(request);
    const { imports } = (await (await request.get('/api/v1/market-data/imports', { headers: bearer(token) })).json()) as {
      imports: Array<{ id: string; status: string }>;
    };
    for (const job of imports.filter((i) => i.status === 'queued' || i.status === 'running')) {
      await request.delete(`/api/v1/market-data/imports/${job.id}`, { headers: bearer(token) });
    }
  });

  test('"Fill gaps" on the Data page fetches the missing candles from the exchange and the gap disappears', async ({ page, request }) => {
    const token = await adminToken(request);
    // 300 hours of the local BTC series (from 2020-12-26), 40 of them missing.
    const base = BTC_1H.findIndex((r) => r[0]! >= Date.UTC(2020, 11, 26));
    const rows = BTC_1H.slice(base, base + 300);
    const hole = rows.slice(100, 140);
    // A run before this one on the same database filled the hole: start from no series at all.
    const cleared = await request.delete('/api/v1/market-data/candles?exchange=binance&symbol=GAPFILL%2FUSDT&timeframe=1h', { headers: bearer(token) });
    expect([200, 404], await cleared.text()).toContain(cleared.status());
    const seeded = await request.post('/api/v1/market-data/candles', {
      headers: bearer(token),
      data: { exchange: 'binance', symbol: 'GAPFILL/USDT', timeframe: '1h', candles: [...rows.slice(0, 100), ...rows.slice(140)] },
    });
    expect(seeded.status(), await seeded.text()).toBe(200);

    await signInAsAdmin(page);
    await navigate(page, 'Data');
    const row = page.locator('[data-testid="coverage-row"][data-series="binance:GAPFILL/USDT:1h"]');
    await expect(row.getByTestId('coverage-count')).toHaveText('260');
    await expect(row.getByTestId('coverage-gaps'), 'the coverage shows the hole').toHaveText('1 (40 missing)');

    await row.getByRole('button', { name: 'Fill gaps' }).click();
    await expect(row.getByTestId('coverage-gaps'), 'filled: no gap left').toHaveText('none', { timeout: 30_000 });
    await expect(row.getByTestId('coverage-count')).toHaveText('300');
    await expect(page.getByTestId('import-item').first(), 'the fill is an import of its own').toHaveAttribute('data-status', 'completed');
    await expect(page.getByTestId('import-item').first()).toContainText('40 new');

    // Filled with the exchange's candles, exactly.
    const stored = await request.get(
      `/api/v1/market-data/candles?exchange=binance&symbol=GAPFILL%2FUSDT&timeframe=1h&start=${hole[0]![0]}&end=${hole.at(-1)![0]! + H}`,
      { headers: bearer(token) },
    );
    expect((await stored.json()).candles).toEqual(hole);
  });

  test('an import can be canceled on the Data page: it stops between pages and keeps what it stored', async ({ page, request }) => {
    const token = await adminToken(request);
    await signInAsAdmin(page);
    await navigate(page, 'Data');
    const form = page.getByRole('form', { name: 'Import range' });
    await form.getByLabel('Exchange').selectOption('binance');
    await form.getByLabel('Symbol').fill('SLOW/USDT');
    await form.getByLabel('Timeframe').selectOption('5m');
    await form.getByLabel('From (UTC)').fill('2020-12-01');
    await form.getByLabel('To (UTC, exclusive)').fill('2021-07-18');
    await form.getByRole('button', { name: 'Import range' }).click();

    // 66 pages of 1000 candles, each held back a second by the local exchange: long enough to cancel.
    const running = page.locator('[data-testid="import-item"][data-status="running"]', { hasText: 'SLOW/USDT' });
    await expect(running).toHaveCount(1);
    const id = await running.getAttribute('data-import-id');
    const item = page.locator(`[data-import-id="${id}"]`);
    await expect(item.getByTestId('import-progress-message'), 'some pages stored').toContainText(/[1-9][\d,]* candles stored/);
    await item.getByRole('button', { name: 'Cancel the SLOW/USDT 5m import' }).click();

    await expect(item.getByTestId('import-status')).toHaveText('canceled');
    await expect(item.getByTestId('import-progress-message')).toContainText('the candles stored until then are kept');
    const kept = await storedCount(request, token, 'SLOW/USDT', '5m');
    expect(kept, 'what it stored before the cancel is kept').toBeGreaterThanOrEqual(1000);
    expect(kept, 'it stopped long before the end').toBeLessThan(BTC_5M_COUNT / 2);
    const row = page.locator('[data-testid="coverage-row"][data-series="binance:SLOW/USDT:5m"]');
    await expect(row.getByTestId('coverage-count'), 'the coverage shows what was kept').toHaveText(kept.toLocaleString('en-US'));

    // Stopped for good: nothing more arrives.
    await page.waitForTimeout(2_500);
    expect(await storedCount(request, token, 'SLOW/USDT', '5m')).toBe(kept);
    const job = await (await request.get(`/api/v1/market-data/imports/${id}`, { headers: bearer(token) })).json();
    expect(job).toMatchObject({ status: 'canceled', cancelRequested: false, result: null });
  });

  test('the Markets page charts and quotes a market straight from the exchange when nothing is stored', async ({ page }) => {
    await signInAsAdmin(page);
    await navigate(page, 'Markets');
    await page.getByLabel('Exchange').selectOption('binance');
    await page.getByLabel('Symbol').fill('LIVE/USDT');
    await page.getByLabel('Timeframe').selectOption('1h');

    await expect(page.getByTestId('source-badge'), 'candles and quotes from the exchange').toHaveText(['live', 'live']);
    await expect(page.getByTestId('market-notice')).toHaveCount(0);
    // Paper orders fill against stored candles, else the simulated market: the page says so beside the exchange's prices.
    await expect(page.getByTestId('mark')).toHaveAttribute('data-kind', 'simulated');
    await expect(page.getByTestId('mark-simulated-note')).toContainText('paper orders fill at the simulated mark');
    // The price chart over the exchange's candles: hovering candle i reads candle i as the exchange has it.
    const chart = page.getByTestId('price-chart');
    await waitForChart(chart);
    const { bucketMs, visibleFrom, visibleTo } = await chartState(chart);
    expect(bucketMs, 'hourly candles as they are').toBe(H);
    for (const fraction of [0.2, 0.5, 0.75]) {
      const candle = Math.floor((visibleFrom + fraction * (visibleTo - visibleFrom)) / H) * H;
      expect(await pointAtCandle(page, chart, candle, false), `candle at ${fraction} is drawn`).toBe(true);
      const readout = page.getByTestId('chart-readout');
      await expect(readout).toHaveAttribute('data-time', String(candle));
      const [kline] = await localExchangeGet<Array<[number, string, string, string, string]>>(
        `/api/v3/klines?symbol=LIVEUSDT&interval=1h&startTime=${candle}&limit=1`,
      );
      expect(kline![0], 'the exchange has that candle').toBe(candle);
      const read = async (name: string) => Number(await readout.getAttribute(`data-${name}`));
      expect([await read('open'), await read('high'), await read('low'), await read('close')], `OHLC at ${fraction}`).toEqual(kline!.slice(1, 5).map(Number));
    }

    const fmt = (v: string | number) => Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    // The page shows what the exchange says (read again on each poll: a new hour may open meanwhile).
    await expect
      .poll(async () => {
        const ticker = await localExchangeGet<{ lastPrice: string }>('/api/v3/ticker/24hr?symbol=LIVEUSDT');
        return (await page.getByTestId('ticker-last').textContent()) === fmt(ticker.lastPrice);
      })
      .toBe(true);
    const book = await localExchangeGet<{ bids: [string, string][] }>('/api/v3/depth?symbol=LIVEUSDT&limit=20');
    await expect(page.getByTestId('order-book').getByRole('rowgroup', { name: 'Bids' }).getByRole('row').first(), 'the best bid of the exchange').toContainText(
      fmt(book.bids[0]![0]),
    );
  });
});
