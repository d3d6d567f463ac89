import { expect, type APIRequestContext, type Page } from '@playwright/test';

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

/** Opens the main navigation on any viewport (a drawer on phones) and follows a link. */
export async function navigate(page: Page, label: string): Promise<void> {
  const drawerButton = page.getByRole('button', { name: 'Open navigation' });
  if (await drawerButton.isVisible()) await drawerButton.click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
}
