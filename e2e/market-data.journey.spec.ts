import { expect, test } from './contract';
import { E2E_ADMIN } from './global-setup';
import { navigate } from './helpers';
import { fixtureText } from '@/server/testing/fixtures';

// A real file as its source published it (server/testing/fixtures/candles: Coinbase BTC-USD 1h from
// CryptoDataDownload, banner line, header, newest first, CRLF), cut to its 2017 rows to keep the upload
// small: 4,405 rows, 5 of them misplaced (2017-11-12).
const LINES = fixtureText('btc-usd-1h').split('\r\n');
const TEXT = [LINES[0], LINES[1], ...LINES.slice(LINES.findIndex((l) => l.startsWith('2017-12-31 11-PM,')))].join('\r\n');
const FILE = { name: 'Coinbase_BTCUSD_1h_2017.csv', mimeType: 'text/csv', buffer: Buffer.from(TEXT) };
const STORED = 4_400;

test('admin uploads a candle file on the Data page, sees its coverage, then charts it on Markets', async ({ page }, testInfo) => {
  // Each project (desktop, phone) stores its own series: the e2e database is shared by the run.
  const symbol = testInfo.project.name === 'phone' ? 'JPHONE/USDT' : 'JDESK/USDT';

  await page.goto('/login');
  await page.getByLabel('Username').fill(E2E_ADMIN.username);
  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

  await navigate(page, 'Data');
  await expect(page.getByRole('heading', { name: 'Data' })).toBeVisible();
  const upload = page.getByRole('form', { name: 'Upload candles' });
  await upload.getByLabel('Exchange').selectOption('binance');
  await upload.getByLabel('Symbol').fill(symbol);
  await upload.getByLabel('Timeframe').selectOption('1h');
  await upload.getByLabel('File').setInputFiles(FILE);
  await upload.getByRole('button', { name: 'Upload' }).click();

  await expect(page.getByTestId('upload-inserted'), 'every candle of the file stored but the misplaced ones').toHaveText(STORED.toLocaleString('en-US'));
  await expect(page.getByTestId('upload-rejected'), 'the five out-of-order rows of 2017-11-12').toHaveText('5');

  const row = page.locator(`[data-testid="coverage-row"][data-series="binance:${symbol}:1h"]`);
  await expect(row, 'the coverage lists the new series').toBeVisible();
  await expect(row.getByTestId('coverage-count')).toHaveText(STORED.toLocaleString('en-US'));
  await expect(row.getByTestId('coverage-gaps'), 'the hours of the rejected rows are the one gap').toHaveText('1 (5 missing)');

  await navigate(page, 'Markets');
  await page.getByLabel('Exchange').selectOption('binance');
  await page.getByLabel('Symbol').fill(symbol);
  await page.getByLabel('Timeframe').selectOption('1h');
  // A stored market: the price chart over windows of the stored candles (zoom, pan, crosshair readout)
  const chart = page.getByTestId('price-chart');
  await expect(chart, 'a chart of the stored candles').toBeVisible();
  await expect.poll(async () => Number(await chart.getAttribute('data-candles')), { message: 'its candles loaded', timeout: 30_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('source-badge').first(), 'candles come from storage').toHaveText('stored');
  await expect(page.getByTestId('ticker-last')).not.toHaveText('—');
  await expect(page.getByTestId('order-book')).toBeVisible();
});
