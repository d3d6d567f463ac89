import { expect, test } from './contract';
import { E2E_ADMIN } from './global-setup';
import { navigate } from './helpers';
import { localCandles } from './local-exchange';

// Real BTC levels (the local exchange's BTC/USDT 1h, Coinbase's BTC-USD) stored as binance HYGD/USDT 1h; then a
// file of the same hours at SOL-like levels (÷300) uploaded as the same market: the SOL-as-BTC mistake.
const SYMBOL = 'HYGD/USDT';
const HOURS = localCandles('BTC').slice(0, 300);
const SOL_LIKE = HOURS.map(([t, o, h, l, c, v]) => [t, o / 300, h / 300, l / 300, c / 300, v]);

async function adminToken(request: import('@playwright/test').APIRequestContext): Promise<string> {
  const response = await request.post('/api/v1/auth/token', { data: E2E_ADMIN });
  return ((await response.json()) as { accessToken: string }).accessToken;
}

test('an upload is guessed from its file, asks to confirm a far-off price level, and an admin deletes the series with confirmation', async ({
  page,
  request,
}) => {
  const token = await adminToken(request);
  const stored = await request.post('/api/v1/market-data/candles', {
    headers: { authorization: `Bearer ${token}` },
    data: { exchange: 'binance', symbol: SYMBOL, timeframe: '1h', candles: HOURS },
  });
  expect(stored.status(), await stored.text()).toBe(200);

  await page.goto('/login');
  await page.getByLabel('Username').fill(E2E_ADMIN.username);
  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await navigate(page, 'Data');

  const upload = page.getByRole('form', { name: 'Upload candles' });
  await upload
    .getByLabel('File')
    .setInputFiles({ name: 'binance_HYGDUSDT_1h.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(SOL_LIKE)) });
  await expect(upload.getByLabel('Symbol'), 'the symbol from the file name').toHaveValue(SYMBOL);
  await expect(upload.getByLabel('Exchange'), 'the exchange from the file name').toHaveValue('binance');
  await expect(upload.getByLabel('Timeframe'), 'the timeframe from the candle spacing').toHaveValue('1h');
  await expect(page.getByTestId('upload-guess')).toContainText('timeframe 1h from its content');

  await upload.getByRole('button', { name: 'Upload' }).click();
  const dialog = page.getByRole('dialog', { name: 'Is this the right market?' });
  await expect(dialog, 'the far-off price level is not stored without asking').toBeVisible();
  await expect(dialog.getByTestId('upload-confirm-reason')).toContainText(/median close .* 5× away/);
  await dialog.getByRole('button', { name: 'Import anyway' }).click();
  await expect(page.getByTestId('upload-result'), 'confirmed: stored').toBeVisible();

  const row = page.locator(`[data-testid="coverage-row"][data-series="binance:${SYMBOL}:1h"]`);
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: `Delete binance ${SYMBOL} 1h` }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete this series?' });
  await expect(confirm).toContainText('300 candles');
  await confirm.getByRole('button', { name: 'Delete series' }).click();
  await expect(row, 'the series is gone').toHaveCount(0);

  const audit = await request.get('/api/v1/audit/all?category=data', { headers: { authorization: `Bearer ${token}` } });
  const events = ((await audit.json()) as { events: Array<{ type: string; details: Record<string, unknown> }> }).events;
  expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['market_data.series_deleted', 'market_data.price_level_confirmed']));
});

test('a made-up market is "unknown market", never charted', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Username').fill(E2E_ADMIN.username);
  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await navigate(page, 'Markets');
  await page.getByLabel('Exchange').selectOption('binance');
  await page.getByLabel('Symbol').fill('FOO/BAR');
  await expect(page.getByText('Unknown market', { exact: true })).toBeVisible();
  await expect(page.getByTestId('unknown-market')).toContainText('FOO/BAR is not listed on binance');
  await expect(page.getByTestId('price-chart')).toHaveCount(0);
  await expect(page.getByTestId('ticker')).toHaveCount(0);
});
