import { expect, test, type Page } from './contract';
import { TEST_PASSWORD, seedBtcCandles, signInAsNewUser, uniqueUsername } from './helpers';

/**
 * The smaller things a user hit (issue 13 items 5 and 7): each test fails when its fix is gone.
 */

async function signIn(page: Page, username: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a deep link survives the sign-in; a callbackUrl off the site is ignored', async ({ page }) => {
  const username = uniqueUsername('deeplink');
  expect((await page.request.post('/api/v1/auth/register', { data: { username, password: TEST_PASSWORD } })).status()).toBe(201);
  await page.goto('/backtests?x=1');
  await expect(page, 'sent to the login page with the page asked for').toHaveURL(/\/login\?callbackUrl=%2Fbacktests%3Fx%3D1$/);
  await signIn(page, username);
  await expect(page.getByRole('heading', { level: 1, name: 'Backtests' })).toBeVisible();
  expect(new URL(page.url()).pathname + new URL(page.url()).search, 'back where the trader was going').toBe('/backtests?x=1');

  const other = await page.context().browser()!.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto('/login?callbackUrl=%2F%5Cevil.example');
  await signIn(otherPage, username);
  await expect(otherPage.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  expect(new URL(otherPage.url()).host, 'never another site').toBe(new URL(page.url()).host);
  await other.close();
});

test('a malformed id is "not found" at once, on every detail page', async ({ page }) => {
  await signInAsNewUser(page, 'badid');
  for (const path of ['/backtests/not-an-id', '/strategies/123', '/deployments/x%27', '/backtests/sweeps/zzz']) {
    await page.goto(path);
    await expect(page.getByText('This page does not exist'), `${path}: no skeleton, no query error`).toBeVisible({ timeout: 2_000 });
    await expect(page.getByText(/Invalid UUID/)).toHaveCount(0);
  }
});

test("after a rotation the successor's Copy button is fresh", async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signInAsNewUser(page, 'copykey');
  await page.goto('/keys');
  await page.getByLabel('Name').fill('copy bot');
  await page.getByRole('button', { name: 'Create key' }).click();
  const box = page.getByTestId('secret-once');
  const first = (await box.textContent())!.trim();
  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first);

  // Rotate while the first key is still shown.
  await page
    .getByTestId(`key-${first.slice(0, 19)}`)
    .getByRole('button', { name: /Rotate/ })
    .click();
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
  await expect(box).not.toHaveText(first);
  await expect(page.getByRole('button', { name: 'Copy', exact: true }), 'the successor has not been copied yet').toBeVisible();
  await expect(page.getByRole('button', { name: 'Copied' })).toHaveCount(0);
});

test('empty states never send you to the page you are on', async ({ page }) => {
  await signInAsNewUser(page, 'empty');
  const created = await page.request.post('/api/v1/strategies', {
    data: { name: 'Empty states', type: 'sma_crossover', params: {}, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  expect(created.status()).toBe(201);
  const strategyId = ((await created.json()) as { id: string }).id;
  for (const path of ['/', '/strategies', '/backtests', '/deployments', '/orders', '/accounts', '/keys', '/audit', `/strategies/${strategyId}`]) {
    await page.goto(path);
    await expect(page.getByRole('heading').first()).toBeVisible();
    await expect(page.locator('[aria-busy="true"], .animate-pulse')).toHaveCount(0, { timeout: 30_000 });
    // In-page anchors (the form further down this page) are fine; a link that reloads this page is not.
    const hrefs = await page
      .locator('[data-empty-state] a:not([href^="#"])')
      .evaluateAll((links) => links.map((a) => new URL((a as HTMLAnchorElement).href).pathname));
    expect(
      hrefs.filter((href) => href === path),
      `${path}: an empty state links to this page`,
    ).toEqual([]);
    const texts = await page.locator('[data-empty-state]').allTextContents();
    if (path.startsWith('/strategies/'))
      expect(
        texts.filter((t) => /from a strategy.s page/.test(t)),
        'on a strategy page, not "from a strategy\'s page"',
      ).toEqual([]);
  }
  const backtests = page.locator('[data-empty-state]').filter({ hasText: 'No backtests yet' });
  await expect(backtests.getByRole('link', { name: 'Run a backtest' }), 'the form on this page').toHaveAttribute('href', '#backtest');
});

test('the audit log names a paper account as a paper account', async ({ page }) => {
  await signInAsNewUser(page, 'auditpaper');
  const account = await page.request.post('/api/v1/accounts', { data: { name: 'Audit paper', exchange: 'paper', balances: { USDT: '1000' } } });
  expect(account.status()).toBe(201);
  await page.goto('/audit');
  const events = page.getByRole('list', { name: 'Audit events' });
  await expect(events.getByText('Paper account added')).toBeVisible();
  await expect(events.getByText('Exchange account added')).toHaveCount(0);
});

test('/favicon.ico exists', async ({ request }) => {
  const response = await request.get('/favicon.ico');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toMatch(/image\/(x-icon|vnd\.microsoft\.icon)/);
  expect((await response.body()).subarray(0, 4).toString('hex'), 'an ICO file').toBe('00000100');
});

test('page titles name the object; parameters have labels and units', async ({ page }) => {
  await seedBtcCandles();
  await signInAsNewUser(page, 'titles');
  const created = await page.request.post('/api/v1/strategies', {
    data: { name: 'Title trend', type: 'sma_crossover', params: {}, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  const strategyId = ((await created.json()) as { id: string }).id;
  const backtest = await page.request.post('/api/v1/backtests', {
    data: { strategyId, start: '2021-01-01T00:00:00Z', end: '2021-01-15T00:00:00Z', initialCapital: 10000, feeRate: 0.001, slippage: 0.0005 },
  });
  expect(backtest.status(), await backtest.text()).toBe(202);
  const backtestId = ((await backtest.json()) as { id: string }).id;

  await page.goto(`/backtests/${backtestId}`);
  await expect(page).toHaveTitle('Backtest · SMA 10/30 · BTC/USDT 1h · Cryptobot');
  await page.goto(`/strategies/${strategyId}`);
  await expect(page).toHaveTitle('Strategy · Title trend · BTC/USDT 1h · Cryptobot');

  const settings = page.getByRole('form', { name: 'Edit strategy' });
  await expect(settings.getByLabel('Fast period (bars)')).toHaveValue('10');
  await expect(settings.getByLabel('Position size (%)')).toHaveValue('100');
  await expect(page.getByRole('form', { name: 'Parameter sweep' }).getByLabel('Slow period (bars) min')).toBeVisible();
});

test('the theme follows the system until the user picks one', async ({ browser }) => {
  const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  for (const [scheme, expected] of [
    ['light', 'rgb(247, 248, 250)'],
    ['dark', 'rgb(11, 14, 20)'],
  ] as const) {
    const context = await browser.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    await page.goto('/login');
    expect(await background(page), `system ${scheme}`).toBe(expected);
    await context.close();
  }

  const context = await browser.newContext({ colorScheme: 'light' });
  const page = await context.newPage();
  await signInAsNewUser(page, 'theme');
  await page.getByRole('button', { name: 'User menu' }).click();
  await page.getByRole('menuitem', { name: 'Dark mode' }).click();
  expect(await background(page)).toBe('rgb(11, 14, 20)');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  expect(await background(page), 'the pick outlives the system scheme').toBe('rgb(11, 14, 20)');
  await context.close();
});

test('the login page says how to find the demo login once the demo exists', async ({ page }) => {
  await page.goto('/login');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  const existed = (await page.getByTestId('demo-hint').count()) > 0;
  if (!existed) {
    const registered = await page.request.post('/api/v1/auth/register', { data: { username: 'demo', password: 'demo password 123' } });
    expect(registered.status(), await registered.text()).toBe(201);
    await page.reload();
  }
  await expect(page.getByTestId('demo-hint')).toContainText('Sign in as demo');
  await expect(page.getByTestId('demo-hint')).toContainText('.data/secrets.json');
});

test('a simulated market offers no Live mode', async ({ page }) => {
  await signInAsNewUser(page, 'simlive');
  const created = await page.request.post('/api/v1/strategies', {
    data: { name: 'Simulated only', type: 'sma_crossover', params: {}, exchange: 'simulated', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  expect(created.status(), await created.text()).toBe(201);
  await page.goto(`/strategies/${((await created.json()) as { id: string }).id}`);
  const form = page.getByRole('form', { name: 'Deploy' });
  await expect(form.getByTestId('live-unavailable')).toContainText('Paper only');
  await expect(form.getByRole('radio', { name: 'Live (real money)' })).toHaveCount(0);
  await expect(page.getByText('add an account on simulated', { exact: false })).toHaveCount(0);
});
