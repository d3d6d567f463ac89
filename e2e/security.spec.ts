import { expect, test } from './contract';
import { TEST_PASSWORD, signInAsNewUser, uniqueUsername } from './helpers';
import { bearer, newUser } from './keys-helpers';

test.describe('CSRF: cookie-authenticated writes must be same-origin JSON', () => {
  test('cross-site attempts are refused; the same request from our page works', async ({ page, baseURL }) => {
    await signInAsNewUser(page, 'csrf');
    const data = JSON.stringify({ name: 'csrf probe', scopes: ['read'] });
    const attempts: Array<[string, Record<string, string>]> = [
      ['a foreign Origin', { origin: 'https://evil.example', 'content-type': 'application/json' }],
      ['Origin: null (sandboxed frame)', { origin: 'null', 'content-type': 'application/json' }],
      ['a form post (text/plain)', { origin: baseURL!, 'content-type': 'text/plain' }],
      ['a disguised content type', { origin: baseURL!, 'content-type': 'text/plain; x=application/json' }],
      ['a form-urlencoded post', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }],
    ];
    for (const [what, headers] of attempts) {
      const response = await page.request.post('/api/v1/keys', { headers, data });
      expect(response.status(), `${what} is refused`).toBe(403);
      expect((await response.json()).error.message).toMatch(/cross-site request refused/);
    }
    const trpc = await page.request.post('/api/trpc/keys.create', {
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      data: JSON.stringify({ json: { name: 'csrf', scopes: ['read'] } }),
    });
    expect(trpc.status(), 'tRPC mutations too').toBe(403);

    const list = await page.request.get('/api/v1/keys');
    expect(list.status(), 'reads with the cookie work').toBe(200);
    expect(await list.json(), 'no refused attempt created a key').toEqual([]);

    const ours = await page.request.post('/api/v1/keys', { headers: { origin: baseURL!, 'content-type': 'application/json' }, data });
    expect(ours.status(), 'the same request from our origin is accepted').toBe(201);
  });

  test('a real cross-site form post from another page is refused', async ({ page, baseURL }) => {
    await signInAsNewUser(page, 'csrfform');
    await page.setContent(
      `<form method="post" action="${baseURL}/api/v1/keys" enctype="text/plain"><input name='{"name":"x","scopes":["read"],"a":"' value='"}'><button>go</button></form>`,
    );
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/keys')), page.getByRole('button', { name: 'go' }).click()]);
    expect(response.status(), 'the forged post is refused').toBe(403);
    const list = await page.request.get(`${baseURL}/api/v1/keys`);
    expect(await list.json(), 'and created nothing').toEqual([]);
  });
});

test('session cookies are HttpOnly and SameSite=Lax; pages carry a CSP and a referrer policy', async ({ page, context }) => {
  await signInAsNewUser(page, 'cookies');
  const session = (await context.cookies()).find((c) => c.name.endsWith('next-auth.session-token'));
  expect(session, 'a session cookie is set').toBeTruthy();
  expect(session!.httpOnly, 'scripts cannot read it').toBe(true);
  expect(session!.sameSite).toBe('Lax');

  const response = await page.request.get('/login');
  const csp = response.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'self'");
  expect(csp, 'no eval in production').not.toContain('unsafe-eval');
  expect(response.headers()['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(response.headers()['x-frame-options']).toBe('DENY');

  // The page still works under the policy: no CSP violations while it renders and hydrates.
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto('/keys');
  await expect(page.getByRole('heading', { level: 1, name: 'API keys' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create key' })).toBeEnabled();
  expect(violations, 'Next runs under the CSP').toEqual([]);
});

test.describe('sign-in throttling', () => {
  test('the token endpoint answers 429 with Retry-After after 10 failures for a username', async ({ request }) => {
    const { username } = await newUser(request, 'throttle');
    for (let i = 0; i < 10; i++) {
      expect((await request.post('/api/v1/auth/token', { data: { username, password: `wrong ${i} password` } })).status()).toBe(401);
    }
    const throttled = await request.post('/api/v1/auth/token', { data: { username, password: TEST_PASSWORD } });
    expect(throttled.status(), 'even the right password waits').toBe(429);
    expect(Number(throttled.headers()['retry-after'])).toBeGreaterThan(0);
    expect((await throttled.json()).error.code).toBe('TOO_MANY_REQUESTS');
  });

  test('per IP: 50 failures from one address throttle every username from it', async ({ request }) => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const { username } = await newUser(request, 'ipvictim');
    for (let i = 0; i < 50; i++) {
      await request.post('/api/v1/auth/token', {
        headers: { 'x-forwarded-for': ip },
        data: { username: uniqueUsername(`spray${i}`), password: 'wrong password!' },
      });
    }
    const fromThatIp = await request.post('/api/v1/auth/token', { headers: { 'x-forwarded-for': ip }, data: { username, password: TEST_PASSWORD } });
    expect(fromThatIp.status()).toBe(429);
    const elsewhere = await request.post('/api/v1/auth/token', { data: { username, password: TEST_PASSWORD } });
    expect(elsewhere.status(), 'the same user from elsewhere is not locked out').toBe(200);
  });

  test('the browser form counts failures and shows the throttle', async ({ page }) => {
    const username = uniqueUsername('formthrottle');
    await page.request.post('/api/v1/auth/register', { data: { username, password: TEST_PASSWORD } });
    for (let i = 0; i < 9; i++) await page.request.post('/api/v1/auth/token', { data: { username, password: `wrong ${i} password` } });
    await page.goto('/login');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill('tenth wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText('Invalid username or password.'), 'the tenth failure, through the form').toBeVisible();
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText('Too many failed attempts. Wait a few minutes and try again.')).toBeVisible();
    await expect(page, 'still signed out').toHaveURL(/\/login/);
  });
});

test.describe('session revocation', () => {
  test('sign out everywhere ends browser sessions, access tokens and refresh tokens', async ({ page }) => {
    const username = await signInAsNewUser(page, 'soe');
    const token = await page.request.post('/api/v1/auth/token', { data: { username, password: TEST_PASSWORD } });
    const pair = await token.json();
    const done = await page.request.post('/api/trpc/account.signOutEverywhere', { headers: bearer(pair.accessToken), data: { json: null } });
    expect(done.status(), await done.text()).toBe(200);
    expect((await page.request.get('/api/v1/me', { headers: bearer(pair.accessToken) })).status(), 'the access token stops').toBe(401);
    expect((await page.request.post('/api/v1/auth/refresh', { data: { refreshToken: pair.refreshToken } })).status(), 'the refresh token stops').toBe(401);
    await page.goto('/settings');
    await expect(page, 'the browser session stops').toHaveURL(/\/login/);
    expect((await page.request.get('/api/v1/me')).status(), 'and its cookie no longer authenticates the API').toBe(401);
  });

  test('a password change from the settings page signs out other sessions and keeps this one', async ({ page, browser }) => {
    const username = await signInAsNewUser(page, 'pwchange');
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto('/login');
    await otherPage.getByLabel('Username').fill(username);
    await otherPage.getByLabel('Password').fill(TEST_PASSWORD);
    await otherPage.getByRole('button', { name: 'Sign in' }).click();
    await expect(otherPage.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

    await page.goto('/settings');
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill('a brand new password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByText('is not your current password')).toBeVisible();

    await page.getByLabel('Current password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByText('Password changed. Other sessions were signed out.')).toBeVisible();
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' }), 'this browser signed back in with the new password').toBeVisible();

    await otherPage.goto('/settings');
    await expect(otherPage, 'the other browser is signed out').toHaveURL(/\/login/);
    await other.close();
    expect((await page.request.post('/api/v1/auth/token', { data: { username, password: 'a brand new password' } })).status()).toBe(200);
  });
});
