import { expect, test } from './contract';
import { E2E_ADMIN } from './global-setup';
import { navigate, TEST_PASSWORD, uniqueUsername } from './helpers';

/**
 * An admin invites someone: the invite is created on the Invites page, its link opens the register form
 * with the code filled in in another browser, and the link works once. (The e2e server runs with
 * CRYPTOBOT_REGISTRATION=open so the other journeys can register; a presented code is checked and
 * consumed in every mode. The invite and closed modes are covered against the route handlers in
 * app/api/v1/invites/invites.api.test.ts.)
 */
test('an admin creates an invite link; it registers a new account once, and the second use is refused', async ({ page, browser }) => {
  test.slow(); // three browsers, two registrations and two sign-ins (each a 32 MiB scrypt)
  await page.goto('/login');
  await page.getByLabel('Username').fill(E2E_ADMIN.username);
  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

  await navigate(page, 'Invites');
  await expect(page.getByRole('heading', { level: 1, name: 'Invites' })).toBeVisible();
  await expect(page.getByTestId('registration-mode')).toContainText('CRYPTOBOT_REGISTRATION=open');
  const note = `for ${uniqueUsername('guest')}`;
  await page.getByLabel('Note (optional)').fill(note);
  await page.getByLabel('Expires after').selectOption({ label: '1 day' });
  await page.getByRole('button', { name: 'Create invite' }).click();
  const link = (await page.getByTestId('invite-link').textContent())!.trim();
  expect(link, 'a link to the register form carrying the code').toMatch(/\/register\?invite=[A-Za-z0-9_-]{32}$/);
  const row = page.getByRole('listitem').filter({ hasText: note });
  await expect(row.getByText('Active', { exact: true })).toBeVisible();

  const guest = await browser.newContext({ viewport: page.viewportSize() ?? undefined });
  const guestPage = await guest.newPage();
  await guestPage.goto(link);
  await expect(guestPage.getByText('You were invited')).toBeVisible();
  await expect(guestPage.getByLabel('Invite code'), 'the code comes from the link').toHaveValue(link.split('invite=')[1]!);
  const username = uniqueUsername('invited');
  await guestPage.getByLabel('Username').fill(username);
  await guestPage.getByLabel('Password').fill(TEST_PASSWORD);
  await guestPage.getByRole('button', { name: 'Create account' }).click();
  // Registration and sign-in are two scrypt hashes, then the dashboard renders: slow on a loaded machine.
  await expect(guestPage.getByRole('heading', { name: 'Dashboard' }), 'registered and signed in').toBeVisible({ timeout: 30_000 });
  await guest.close();

  const second = await browser.newContext({ viewport: page.viewportSize() ?? undefined });
  const secondPage = await second.newPage();
  await secondPage.goto(link);
  await secondPage.getByLabel('Username').fill(uniqueUsername('reuse'));
  await secondPage.getByLabel('Password').fill(TEST_PASSWORD);
  await secondPage.getByRole('button', { name: 'Create account' }).click();
  await expect(secondPage.getByText(/is not valid: it was already used/), 'the link works once').toBeVisible({ timeout: 30_000 });
  await expect(secondPage, 'no account, no session').toHaveURL(/\/register/);
  await second.close();

  await page.reload();
  await expect(row.getByText('Used', { exact: true })).toBeVisible();
  await expect(row).toContainText(`by ${username}`);
});

test('the Invites page is not in the navigation of a user who is not an admin', async ({ page }) => {
  const username = uniqueUsername('noinvites');
  await page.request.post('/api/v1/auth/register', { data: { username, password: TEST_PASSWORD } });
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  const drawerButton = page.getByRole('button', { name: 'Open navigation' });
  if (await drawerButton.isVisible()) await drawerButton.click();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Invites' })).toHaveCount(0);
  expect((await page.request.get('/api/v1/invites')).status(), 'and the API refuses').toBe(403);
});
