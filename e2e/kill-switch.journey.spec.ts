import { expect, test } from './contract';
import { navigate, signInAsNewUser } from './helpers';

test('the kill switch halts trading from the header in one tap and a confirm, says why orders are refused, and is released from the banner', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const username = await signInAsNewUser(page, 'kill');
  const created = await page.request.post('/api/v1/accounts', { data: { name: 'Paper halt', exchange: 'paper', balances: { USDT: '10000' } } });
  expect(created.status(), await created.text()).toBe(201);
  const accountId = ((await created.json()) as { id: string }).id;

  await navigate(page, 'Orders');
  await expect(page.getByRole('heading', { level: 1, name: 'Orders' })).toBeVisible();
  await expect(page.getByTestId('kill-switch-banner'), 'released: no banner').toHaveCount(0);

  // One tap, one confirm: no reason needed.
  await page.getByRole('button', { name: 'Kill switch', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('every new order is refused');
  await dialog.getByRole('button', { name: 'Engage kill switch' }).click();
  await expect(dialog.getByTestId('kill-switch-result')).toContainText('Engaged: paused 0 deployments, canceled 0 orders.');
  await dialog.getByRole('button', { name: 'Close' }).click();

  const banner = page.getByTestId('kill-switch-banner');
  await expect(banner, 'a red banner across the app').toContainText('Kill switch engaged');
  await expect(banner).toContainText(`by ${username}`);
  await expect(page.getByRole('button', { name: 'Kill switch engaged' }), 'the header shows the latched state').toBeVisible();

  // The ticket says why it is disabled; an order sent anyway is refused with the kill switch's message.
  await expect(page.getByTestId('trading-halted')).toContainText('The kill switch is engaged');
  await expect(page.getByRole('button', { name: 'Review order' })).toBeDisabled();
  const refused = await page.request.post('/api/v1/orders', { data: { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' } });
  expect(refused.status()).toBe(409);
  expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
    /^the kill switch is engaged \(since .+, by .+\): release it to trade$/,
  );

  // The latch holds across pages until released.
  await navigate(page, 'Dashboard');
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(banner).toBeVisible();
  await navigate(page, 'Orders');
  await expect(page.getByRole('heading', { level: 1, name: 'Orders' })).toBeVisible();

  await banner.getByRole('button', { name: 'Release' }).click();
  const confirm = page.getByRole('dialog', { name: 'Release the kill switch?' });
  await expect(confirm).toContainText('Deployments paused by the kill switch stay paused');
  await confirm.getByRole('button', { name: 'Release' }).click();
  await expect(banner).toHaveCount(0);

  // Trading works again.
  await page.getByLabel('Quantity (BTC)').fill('0.01');
  await page.getByRole('button', { name: 'Review order' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Place order' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Order placed' })).toContainText('filled');
});
