import { expect, test, type Page } from './contract';
import { signInAsNewUser } from './helpers';

/** The reference page: Swagger UI over /api/v1/openapi.json, every asset from this origin. */

// Swagger UI renders ~100 operations from a 1.8 MB script: on a busy CI machine that alone can take most of a minute.
test.describe.configure({ timeout: 180_000 });

async function openReference(page: Page): Promise<string[]> {
  const requested: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.goto('/docs/api');
  await expect(page.getByRole('heading', { name: 'Cryptobot API reference' })).toBeVisible();
  await expect(page.locator('.opblock').first(), 'the operations are listed').toBeVisible();
  await expect(page.getByRole('status'), 'the loading note goes once it rendered').toBeHidden();
  const origin = new URL(page.url()).origin;
  const foreign = requested.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
  expect(foreign, 'no CDN: every request stays on this origin').toEqual([]);
  return cspViolations;
}

test('the API reference lists every operation of the document and tries one out on this origin', async ({ page, request }) => {
  const spec = (await (await request.get('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.values(spec.paths).reduce((sum, item) => sum + Object.keys(item).length, 0);
  const cspViolations = await openReference(page);
  await expect(page.locator('.opblock'), 'one block per operation').toHaveCount(operations);
  expect(cspViolations, 'it runs under the app’s content security policy').toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no sideways scroll').toBeLessThanOrEqual(page.viewportSize()!.width);

  const registration = page.locator('#operations-auth-getAuthRegistration');
  await registration.locator('.opblock-summary').click();
  await registration.getByRole('button', { name: 'Try it out' }).click();
  await registration.getByRole('button', { name: 'Execute' }).click();
  const live = registration.locator('.live-responses-table');
  await expect(live.locator('tr.response .response-col_status').first()).toHaveText('200');
  await expect(live.locator('tr.response').first()).toContainText('"mode"');
});

test('signed in, "Try it out" uses the browser session: /api/v1/me answers who you are', async ({ page }) => {
  const username = await signInAsNewUser(page, 'reference');
  await openReference(page);
  const me = page.locator('#operations-auth-getMe');
  await me.locator('.opblock-summary').click();
  await me.getByRole('button', { name: 'Try it out' }).click();
  await me.getByRole('button', { name: 'Execute' }).click();
  const live = me.locator('.live-responses-table');
  await expect(live.locator('tr.response .response-col_status').first()).toHaveText('200');
  await expect(live.locator('tr.response').first()).toContainText(username);
});

test('when the document cannot be loaded, the page says so instead of staying blank', async ({ page }) => {
  await page.route('**/api/v1/openapi.json', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"UNAVAILABLE","message":"down"}}' }),
  );
  await page.goto('/docs/api');
  await expect(page.getByRole('alert')).toContainText('could not be loaded (the document answered 503)');
  await expect(page.getByRole('link', { name: 'openapi.json' })).toBeVisible();
});
