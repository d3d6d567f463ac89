import { expect, test, type Locator } from '@playwright/test';
import { seedBtcCandles, TEST_PASSWORD, uniqueUsername } from './helpers';

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
