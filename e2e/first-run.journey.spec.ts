import { expect, test, type Locator } from './contract';
import { registerAndToken, seedBtcCandles, signInWithPassword, TEST_PASSWORD, uniqueUsername } from './helpers';

// The default exchange's BTC/USDT 1h is stored (as on a demo that could reach its exchange): the market
// the strategy form must default to. Nothing else is prepared for the new user.
test.beforeAll(seedBtcCandles);

test('a new user registers, then reaches a completed backtest with the defaults in at most three clicks from the dashboard', async ({ page }) => {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${response.status()} from ${response.url()}`);
  });

  await page.goto('/register');
  await page.getByLabel('Username').fill(uniqueUsername('first-run'));
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();

  // From here every click counts.
  let clicks = 0;
  const click = async (target: Locator) => {
    clicks += 1;
    await target.click();
  };

  await click(page.getByTestId('get-started').getByRole('link', { name: 'New strategy' }));
  await expect(page.getByRole('heading', { level: 1, name: 'New strategy' })).toBeVisible();
  await expect(page.getByLabel('Market'), 'the form starts on the stored series, with its coverage').toHaveValue('binance|BTC/USDT|1h');
  await expect(page.getByLabel('Market').locator('option:checked')).toContainText('2021-01-01');
  await expect(page.getByLabel('Name'), 'a name is proposed').not.toHaveValue('');

  await click(page.getByRole('button', { name: 'Create strategy' }));
  const backtestForm = page.getByRole('form', { name: 'Run a backtest' });
  await expect(backtestForm.getByLabel('Start (UTC)'), 'the backtest defaults to the stored range').toHaveValue('2021-01-01');
  await expect(page.getByTestId('backtest-no-data')).toHaveCount(0);

  await click(backtestForm.getByRole('button', { name: 'Run backtest' }));
  await expect(page.getByRole('heading', { level: 1, name: 'Backtest' })).toBeVisible();
  await expect(page.getByTestId('metric-totalReturnPct'), 'the backtest completed and shows its results').toBeVisible({ timeout: 45_000 });
  await expect(page.getByTestId('metric-tradeCount')).toContainText(/\d/);

  expect(clicks, 'dashboard → completed backtest').toBeLessThanOrEqual(3);
  // (Next's route announcer is an empty alert region: only alerts that say something count.)
  await expect(page.getByRole('alert').filter({ hasText: /\S/ }), 'no error on the way').toHaveCount(0);
  expect(problems, 'no server error or page error on the way').toEqual([]);
});

test('a strategy on a market without candles offers the import in one click, then backtests', async ({ page }, testInfo) => {
  // A market of this project's own that nothing stored: the local exchange lists it with recent 1h candles.
  const symbol = testInfo.project.name === 'phone' ? 'FIRSTPHONE/USDT' : 'FIRSTDESK/USDT';
  const { username, accessToken } = await registerAndToken(page.request, 'first-import');
  const created = await page.request.post('/api/v1/strategies', {
    headers: { authorization: `Bearer ${accessToken}` },
    data: { name: 'No data yet', type: 'sma_crossover', exchange: 'binance', symbol, timeframe: '1h' },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await signInWithPassword(page, username);
  await page.goto(`/strategies/${id}`);

  const noData = page.getByTestId('backtest-no-data');
  await expect(noData).toContainText(`No candles of ${symbol} 1h on binance`);
  await noData.getByRole('button', { name: `Import ${symbol} 1h from binance` }).click();
  // A plain user's import runs (the worker fetches from the local exchange); once it completed, the page fills in by itself.
  await expect(noData, 'the notice goes once the candles are stored').toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByRole('form', { name: 'Run a backtest' }).getByLabel('Start (UTC)'), 'the form starts at the first imported candle').not.toHaveValue(
    '',
  );

  await page.getByRole('form', { name: 'Run a backtest' }).getByRole('button', { name: 'Run backtest' }).click();
  await expect(page.getByTestId('metric-totalReturnPct')).toBeVisible({ timeout: 45_000 });
});
