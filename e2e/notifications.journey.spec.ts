import { createHmac } from 'node:crypto';
import { expect, test } from './contract';
import { NotifyReceivers } from '@/server/testing/notify/receivers';
import { navigate, signInAsNewUser } from './helpers';

let receivers: NotifyReceivers;
test.beforeAll(async () => {
  receivers = await new NotifyReceivers().start();
});
test.afterAll(async () => {
  await receivers?.close();
});

test('a trader adds a signed webhook channel, a fill reaches it, and the delivery is logged on the page', async ({ page }, testInfo) => {
  const username = await signInAsNewUser(page, 'ntf');
  const hookPath = `/hook/${username}`;
  const secret = 'e2e-receiver-secret-0123456789';
  const account = await page.request.post('/api/v1/accounts', { data: { name: 'Paper desk', exchange: 'paper', balances: { USDT: '10000' } } });
  expect(account.status(), await account.text()).toBe(201);

  await navigate(page, 'Notifications');
  await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  await expect(page.getByText('No channels yet'), 'the empty state').toBeVisible();
  await expect(page.getByText('Nothing sent yet')).toBeVisible();

  // A private address is refused unless the operator allows it; this server allows it, so a bad scheme stands in.
  await page.getByLabel('Name').fill('My receiver');
  await page.getByLabel('URL').fill('ftp://example.com/hook');
  await page.getByRole('button', { name: 'Add channel' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'URLs are not allowed' }), 'the URL field says what is wrong').toBeVisible();

  await page.getByLabel('URL').fill(`${receivers.baseUrl}${hookPath}`);
  await page.getByLabel('Signing secret (optional)').fill(secret);
  await page.getByRole('button', { name: 'Add channel' }).click();
  const channels = page.getByRole('list', { name: 'Channels' });
  await expect(channels.getByText('My receiver')).toBeVisible();
  await expect(channels, 'the URL is shown as a hint only').toContainText(`${receivers.baseUrl}/…`);
  await expect(channels).not.toContainText(hookPath);

  await page.getByLabel('Event', { exact: true }).first().selectOption('fill');
  await page.getByRole('button', { name: 'Add rule' }).click();
  await expect(page.getByRole('list', { name: 'Rules' })).toContainText('Fills → My receiver');

  // The template editor previews with sample values.
  await page.getByLabel('Template').fill('{{side}} {{filled}} {{symbol}} @ {{price}}');
  await expect(page.getByTestId('template-preview')).toHaveText('buy 0.01 BTC/USDT @ 64250.5');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Using the default')).toBeHidden();

  // A fill: a manual paper market order.
  const accountId = ((await account.json()) as { id: string }).id;
  const order = await page.request.post('/api/v1/orders', { data: { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' } });
  expect(order.status(), await order.text()).toBe(201);

  const request = await receivers.waitFor((r) => r.path === hookPath && r.json.kind === 'fill', 20_000);
  const timestamp = String(request.headers['x-cryptobot-timestamp']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`;
  expect(request.headers['x-cryptobot-signature'], 'the receiver verifies the signature').toBe(expected);
  expect(String(request.json.text)).toMatch(/^buy 0\.01 BTC\/USDT @ \d/);

  const delivery = page.getByTestId('delivery').filter({ hasText: 'Fills' });
  await expect(delivery, 'the delivery is logged').toContainText('Delivered');
  await expect(delivery).toContainText('My receiver');

  // Send test: delivered now, logged too.
  await page.getByRole('button', { name: 'Send test' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Test message delivered' })).toBeVisible();
  await expect(page.getByTestId('delivery').filter({ hasText: 'Test message' })).toContainText('Delivered');

  if (testInfo.project.name === 'phone') {
    await page.setViewportSize({ width: 360, height: 780 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'no sideways scroll at 360 px').toBeLessThanOrEqual(0);
  }
});
