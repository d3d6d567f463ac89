import { expect, test } from './contract';
import { navigate, TEST_PASSWORD, uniqueUsername } from './helpers';

test('a visitor registers, is signed in, uses the shell, signs out and signs back in', async ({ page }) => {
  await page.goto('/');
  await expect(page, 'the app is behind sign-in').toHaveURL(/\/login/);

  await page.getByRole('link', { name: 'Create one' }).click();
  await expect(page.getByRole('heading', { name: 'Create an account' })).toBeVisible();

  // Bad input is refused field by field, before anything is created.
  await page.getByLabel('Username').fill('No Spaces');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('may contain only a-z, 0-9, _ and -')).toBeVisible();
  await expect(page.getByText('is too weak: use at least 10 characters')).toBeVisible();

  const username = uniqueUsername('journey');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('status-db')).toHaveText(/connected/);
  await expect(page.getByTestId('status-worker'), 'the worker runs beside the web app').toHaveText(/last heartbeat/);

  for (const label of ['Strategies', 'Backtests', 'Markets', 'Orders', 'Accounts', 'API keys', 'Settings']) {
    await navigate(page, label);
    await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible();
  }
  await page.getByRole('button', { name: 'User menu' }).click();
  await expect(page.getByTestId('user-menu-username')).toHaveText(username);
  await expect(page.getByTestId('user-menu-role')).toHaveText('Role: user');
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/settings');
  await expect(page, 'signed out means the app is closed again').toHaveURL(/\/login/);

  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Invalid username or password.')).toBeVisible();

  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' }), 'back to the page asked for before the sign-in').toBeVisible();
});

test('the theme follows the system until the user menu picks one', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  const username = uniqueUsername('theme');
  await page.request.post('/api/v1/auth/register', { data: { username, password: TEST_PASSWORD } });
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.locator('html'), 'no pick yet: no theme class, the system decides').not.toHaveClass(/dark|light/);
  await page.getByRole('button', { name: 'User menu' }).click();
  await page.getByRole('menuitem', { name: 'Light mode' }).click();
  await expect(page.locator('html')).toHaveClass(/light/);
  await page.reload();
  await expect(page.locator('html'), 'the choice survives a reload').toHaveClass(/light/);
});
