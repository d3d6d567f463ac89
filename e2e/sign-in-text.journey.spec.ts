import { expect, test } from './contract';
import { TEST_PASSWORD, uniqueUsername } from './helpers';

test('the sign-in form says which field holds a control character, and signs in once it is fixed', async ({ page }) => {
  const username = uniqueUsername('textjourney');
  const registered = await page.request.post('/api/v1/auth/register', { data: { username, password: TEST_PASSWORD } });
  expect(registered.status()).toBe(201);

  await page.goto('/login');
  await page.getByLabel('Username').fill(`${username}\u001b`);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('The username contains a control character or an unpaired surrogate')).toBeVisible();

  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(`${TEST_PASSWORD}\u0007`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('The password contains a control character or an unpaired surrogate')).toBeVisible();

  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
});
