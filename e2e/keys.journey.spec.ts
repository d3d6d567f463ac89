import { expect, test, type Page } from './contract';
import { navigate, signInAsNewUser } from './helpers';

async function secretShownOnce(page: Page): Promise<string> {
  const box = page.getByTestId('secret-once');
  await expect(box).toBeVisible();
  const secret = (await box.textContent())!.trim();
  expect(secret).toMatch(/^cb_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/);
  await page.getByRole('button', { name: 'I stored it' }).click();
  await expect(box, 'gone once acknowledged').toHaveCount(0);
  return secret;
}

test('API keys: create and see it once, rotate, revoke; emergency revocation signs the browser out', async ({ page }) => {
  await signInAsNewUser(page, 'keysj');
  await navigate(page, 'API keys');
  await expect(page.getByRole('heading', { level: 1, name: 'API keys' })).toBeVisible();
  await expect(page.getByText('No API keys yet')).toBeVisible();

  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByText('is required'), 'a key needs a name').toBeVisible();

  await page.getByLabel('Name').fill('journey bot');
  await page.getByLabel('trade').check();
  await page.getByLabel('Expires in (days)').fill('30');
  await page.getByRole('button', { name: 'Create key' }).click();
  const first = await secretShownOnce(page);
  const firstPrefix = first.slice(0, 19);
  const firstRow = page.getByTestId(`key-${firstPrefix}`);
  await expect(firstRow).toContainText('Active');
  await expect(firstRow).toContainText('read · trade');

  const me = await page.request.get('/api/v1/me', { headers: { authorization: `Bearer ${first}` } });
  expect(me.status(), 'the key shown works').toBe(200);
  await page.reload();
  await expect(firstRow).toBeVisible();
  expect(await page.content(), 'the secret is never shown again').not.toContain(first.slice(20));

  await firstRow.getByRole('button', { name: /Rotate/ }).click();
  await expect(page.getByRole('dialog')).toContainText('keeps working until');
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
  const second = await secretShownOnce(page);
  expect(second).not.toBe(first);
  await expect(firstRow, 'the old key is in its grace period').toContainText('Rotated (grace)');
  const secondRow = page.getByTestId(`key-${second.slice(0, 19)}`);
  await expect(secondRow).toContainText('Active');

  await secondRow.getByRole('button', { name: /Revoke/ }).click();
  await expect(page.getByRole('dialog')).toContainText('every client using it gets 401');
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
  await expect(secondRow).toContainText('Revoked');
  expect((await page.request.get('/api/v1/me', { headers: { authorization: `Bearer ${second}` } })).status(), 'a revoked key stops').toBe(401);

  await page.getByRole('button', { name: 'Revoke everything…' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('signed out of every browser and API client, including this one');
  await expect(dialog.getByRole('button', { name: 'Revoke everything' }), 'a reason is required').toBeDisabled();
  await dialog.getByLabel('Reason').fill('journey test');
  await dialog.getByRole('button', { name: 'Revoke everything' }).click();
  await expect(page, 'the browser is signed out').toHaveURL(/\/login/);
  expect((await page.request.get('/api/v1/me', { headers: { authorization: `Bearer ${first}` } })).status(), 'the key in grace is revoked too').toBe(401);
  await page.goto('/keys');
  await expect(page).toHaveURL(/\/login/);
});

test('the audit log shows the account’s own security events', async ({ page }) => {
  const username = await signInAsNewUser(page, 'auditj');
  await page.request.post('/api/v1/auth/token', { data: { username, password: 'wrong password!!' } });
  await navigate(page, 'Audit log');
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  const events = page.getByRole('list', { name: 'Audit events' });
  await expect(events).toContainText('Failed sign-in');
  await expect(events).toContainText('Signed in');
  await expect(events).toContainText('Account created');
  await page.getByLabel('Category').selectOption('keys');
  await expect(page.getByText('No events')).toBeVisible();
});
