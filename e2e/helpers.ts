import { expect, type APIRequestContext, type Page } from './contract';
import postgres from 'postgres';
import { localCandles } from './local-exchange';

/** A username no other test in this run uses (the e2e database is shared by the whole run). */
export function uniqueUsername(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 32);
}

export const TEST_PASSWORD = 'e2e password 123';

/** Registers through the REST API and returns a bearer access token. */
export async function registerAndToken(request: APIRequestContext, prefix: string): Promise<{ username: string; accessToken: string; refreshToken: string }> {
  const username = uniqueUsername(prefix);
  const registered = await request.post('/api/v1/auth/register', { data: { username, password: TEST_PASSWORD } });
  expect(registered.status(), await registered.text()).toBe(201);
  const token = await request.post('/api/v1/auth/token', { data: { username, password: TEST_PASSWORD } });
  expect(token.status()).toBe(200);
  const body = (await token.json()) as { accessToken: string; refreshToken: string };
  return { username, ...body };
}

/** Registers through the API and signs in through the login page. */
export async function signInAsNewUser(page: Page, prefix: string): Promise<string> {
  const username = uniqueUsername(prefix);
  const registered = await page.request.post('/api/v1/auth/register', { data: { username, password: TEST_PASSWORD } });
  expect(registered.status()).toBe(201);
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  return username;
}

/** Signs in through the login page as an existing user (TEST_PASSWORD) and waits for the dashboard. */
export async function signInWithPassword(page: Page, username: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

/** Opens the main navigation on any viewport (a drawer on phones) and follows a link. */
export async function navigate(page: Page, label: string): Promise<void> {
  const drawerButton = page.getByRole('button', { name: 'Open navigation' });
  if (await drawerButton.isVisible()) await drawerButton.click();
  const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label });
  const href = await link.getAttribute('href');
  await link.click();
  // Client-side navigation: wait until the new page is the current one, so the next locator cannot
  // still see the page we left.
  if (href) await page.waitForURL((url) => url.pathname === href);
}

/**
 * BTC/USDT 1h candles (Jan–Mar 2021, binance) in the e2e database, straight through SQL, for tests that
 * backtest or price orders: the local exchange's BTC series (Coinbase's real 4h BTC-USD candles refined to
 * 1h, see localCandles); idempotent. with-test-db sets DATABASE_URL for the Playwright process.
 */
export async function seedBtcCandles(): Promise<void> {
  const rows = localCandles('BTC').filter((r) => r[0]! >= Date.parse('2021-01-01T00:00:00Z') && r[0]! < Date.parse('2021-04-01T00:00:00Z'));
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  const col = (k: number) => `{${rows.map((r) => r[k]).join(',')}}`;
  await sql`
    insert into candles (exchange, symbol, timeframe, time, open, high, low, close, volume)
    select 'binance', 'BTC/USDT', '1h', t, o, h, l, c, v
    from unnest(${col(0)}::bigint[], ${col(1)}::float8[], ${col(2)}::float8[], ${col(3)}::float8[], ${col(4)}::float8[], ${col(5)}::float8[]) as u(t, o, h, l, c, v)
    on conflict do nothing`;
  await sql.end();
}
