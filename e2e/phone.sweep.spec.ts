import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type APIRequestContext, type Page } from './contract';
import { E2E_ADMIN } from './global-setup';
import { seedBtcCandles } from './helpers';

/**
 * Every page at 360 px (the narrowest common phone): the document never scrolls sideways. The routes are
 * read from app/ (every page.tsx), so a new page without an entry in ROUTE_URLS fails this test instead of
 * going unmeasured. The objects the detail pages show are real: a strategy with a completed backtest and
 * sweep, a paper account and a paper deployment on it, all the admin's (so the admin pages are measured too).
 */
const PHONE = { width: 360, height: 780 };
test.use({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

interface Objects {
  strategyId: string;
  backtestId: string;
  secondBacktestId: string;
  sweepId: string;
  deploymentId: string;
  scriptId: string;
}

/** The app's page routes, as their paths under app/ with route groups dropped ("/backtests/[id]"). */
function pageRoutes(): string[] {
  const root = path.join(process.cwd(), 'app');
  const routes: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === 'page.tsx') {
        const segments = path
          .relative(root, dir)
          .split(path.sep)
          .filter((s) => s !== '' && !/^\(.*\)$/.test(s));
        routes.push(`/${segments.join('/')}`);
      }
    }
  };
  walk(root);
  return routes.sort();
}

/** A concrete URL for each route, pointing at the real objects. */
function routeUrls(o: Objects): Record<string, string> {
  return {
    '/': '/',
    '/accounts': '/accounts',
    '/admin/invites': '/admin/invites',
    '/audit': '/audit',
    '/backtests': '/backtests',
    '/backtests/[id]': `/backtests/${o.backtestId}`,
    '/backtests/compare': `/backtests/compare?ids=${o.backtestId},${o.secondBacktestId}`,
    '/backtests/sweeps/[id]': `/backtests/sweeps/${o.sweepId}`,
    '/data': '/data',
    '/deployments': '/deployments',
    '/deployments/[id]': `/deployments/${o.deploymentId}`,
    '/keys': '/keys',
    '/markets': '/markets',
    '/notifications': '/notifications',
    '/orders': '/orders',
    '/settings': '/settings',
    '/strategies': '/strategies',
    '/strategies/[id]': `/strategies/${o.strategyId}`,
    '/strategies/new': '/strategies/new',
    '/login': '/login',
    '/register': '/register',
    '/scripts': '/scripts',
    '/scripts/[id]': `/scripts/${o.scriptId}`,
    // Not a page.tsx: an HTML route handler (app/docs/api/route.ts), measured like one.
    '/docs/api': '/docs/api',
  };
}

async function waitForCompleted(request: APIRequestContext, url: string, token: string): Promise<void> {
  await expect
    .poll(async () => ((await (await request.get(url, { headers: auth(token) })).json()) as { status: string }).status, { timeout: 90_000 })
    .toBe('completed');
}

async function createObjects(request: APIRequestContext, token: string): Promise<Objects> {
  const strategy = await request.post('/api/v1/strategies', {
    headers: auth(token),
    data: { name: 'Phone sweep SMA 10/30', type: 'sma_crossover', params: {}, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  expect(strategy.status(), await strategy.text()).toBe(201);
  const strategyId = (await strategy.json()).id as string;
  const run = { strategyId, start: '2021-01-01T00:00:00Z', end: '2021-03-01T00:00:00Z', initialCapital: 10000, feeRate: 0.001, slippage: 0.0005 };
  const backtestIds: string[] = [];
  for (const fastPeriod of [10, 5]) {
    const backtest = await request.post('/api/v1/backtests', { headers: auth(token), data: { ...run, params: { fastPeriod } } });
    expect(backtest.status(), await backtest.text()).toBe(202);
    backtestIds.push((await backtest.json()).id as string);
  }
  const sweep = await request.post('/api/v1/sweeps', {
    headers: auth(token),
    data: { ...run, ranges: { fastPeriod: { min: 5, max: 25, step: 5 }, slowPeriod: { values: [30, 40, 50, 60, 70, 80, 90, 100] } } },
  });
  expect(sweep.status(), await sweep.text()).toBe(202);
  const sweepId = (await sweep.json()).id as string;
  for (const id of backtestIds) await waitForCompleted(request, `/api/v1/backtests/${id}`, token);
  await waitForCompleted(request, `/api/v1/sweeps/${sweepId}`, token);

  const account = await request.post('/api/v1/accounts', {
    headers: auth(token),
    data: { name: `Phone sweep paper account ${randomUUID().slice(0, 8)}`, exchange: 'paper', balances: { USDT: '10000' } },
  });
  expect(account.status(), await account.text()).toBe(201);
  const deployment = await request.post(`/api/v1/strategies/${strategyId}/deployments`, {
    headers: auth(token),
    data: { accountId: (await account.json()).id, mode: 'paper', feed: { type: 'replay', start: '2021-02-01T00:00:00Z', speed: 36000 } },
  });
  expect(deployment.status(), await deployment.text()).toBe(201);
  const script = await request.post('/api/v1/scripts', { headers: auth(token), data: { name: 'Phone sweep script' } });
  expect(script.status(), await script.text()).toBe(201);
  return {
    strategyId,
    backtestId: backtestIds[0]!,
    secondBacktestId: backtestIds[1]!,
    sweepId,
    deploymentId: (await deployment.json()).id as string,
    scriptId: (await script.json()).id as string,
  };
}

/** The page has rendered its data: a heading, no skeleton or busy region left. */
async function settled(page: Page): Promise<void> {
  await expect(page.getByRole('heading').first()).toBeVisible();
  await expect(page.locator('[aria-busy="true"], .animate-pulse')).toHaveCount(0, { timeout: 30_000 });
}

const scrollWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

/** The innermost elements that reach furthest past the right edge (for the failure message). */
const overflowing = (page: Page) =>
  page.evaluate((width) => {
    const right = (el: Element) => el.getBoundingClientRect().right;
    return Array.from(document.body.querySelectorAll('*'))
      .filter((el) => right(el) > width + 0.5 && !Array.from(el.children).some((child) => right(child) > width + 0.5))
      .sort((a, b) => right(b) - right(a))
      .slice(0, 6)
      .map(
        (el) =>
          `${el.tagName.toLowerCase()}.${String(el.getAttribute('class') ?? '').slice(0, 50)} "${(el.textContent ?? '').slice(0, 30)}" → ${Math.round(right(el))}px`,
      );
  }, PHONE.width);

test('no page scrolls sideways at 360 px', async ({ page, browser }) => {
  test.setTimeout(300_000);
  await seedBtcCandles();
  const api = await page.request.post('/api/v1/auth/token', { data: E2E_ADMIN });
  expect(api.status()).toBe(200);
  const objects = await createObjects(page.request, ((await api.json()) as { accessToken: string }).accessToken);
  const urls = routeUrls(objects);
  const routes = pageRoutes();
  expect(
    routes.filter((r) => !(r in urls)),
    'every page route has a URL to measure here',
  ).toEqual([]);

  const widths: Record<string, number> = {};
  const problems: string[] = [];
  const measure = async (target: Page, route: string) => {
    await target.goto(urls[route]!);
    await settled(target);
    if (route === '/docs/api') await expect(target.locator('.opblock').first()).toBeVisible();
    widths[route] = await scrollWidth(target);
    if (widths[route] > PHONE.width) problems.push(`${route} ${widths[route]}px: ${(await overflowing(target)).join('; ')}`);
  };

  // Signed out: the auth pages.
  const guest = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const guestPage = await guest.newPage();
  for (const route of ['/login', '/register', '/docs/api']) await measure(guestPage, route);
  await guest.close();

  await page.goto('/login');
  await page.getByLabel('Username').fill(E2E_ADMIN.username);
  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  for (const route of routes.filter((r) => r !== '/login' && r !== '/register')) await measure(page, route);

  expect(problems, `page widths: ${JSON.stringify(widths)}`).toEqual([]);
  expect(Object.keys(widths).sort()).toEqual([...routes, '/docs/api'].sort());

  // Narrow tables keep what a trader reads first (the run, its P&L) and drop the secondary columns.
  await page.goto(urls['/backtests']!);
  const list = page.getByRole('table').first();
  await expect(list.getByRole('columnheader', { name: 'Return' })).toBeVisible();
  await expect(list.getByRole('columnheader', { name: 'Max DD' })).toBeHidden();
  await page.goto(urls['/backtests/[id]']!);
  const trades = page.getByRole('table', { name: 'Trades' });
  await expect(trades.getByRole('columnheader', { name: 'PnL', exact: true })).toBeVisible();
  await expect(trades.getByRole('columnheader', { name: 'Fee' })).toBeHidden();
  await expect(trades.getByRole('columnheader', { name: 'Entry price' })).toBeHidden();
  await page.goto(urls['/backtests/sweeps/[id]']!);
  const runs = page.getByRole('table', { name: 'Sweep runs' });
  await expect(runs.getByRole('columnheader', { name: /Total return/ })).toBeVisible();
  await expect(runs.getByRole('columnheader', { name: 'Sharpe' })).toBeHidden();
  await page.screenshot({ path: test.info().outputPath('sweep-360.png'), fullPage: true });
  await page.goto(urls['/strategies/[id]']!);
  await expect(page.getByTestId('active-deployment')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('strategy-360.png'), fullPage: true });
});
