import { expect, test } from './contract';
import { seedBtcCandles, signInAsNewUser } from './helpers';

test.beforeAll(seedBtcCandles);

test('deploy a signal strategy on paper, copy its webhook URL, post a TradingView-style signal, and see the order, its fill and the signal outcome on the deployment page', async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signInAsNewUser(page, 'signals');
  const account = await page.request.post('/api/v1/accounts', { data: { name: 'Signal desk', exchange: 'paper', balances: { USDT: '10000' } } });
  expect(account.status(), await account.text()).toBe(201);
  const created = await page.request.post('/api/v1/strategies', {
    data: { name: 'TV alerts', type: 'signal', params: { positionSizePct: 25 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  expect(created.status(), await created.text()).toBe(201);
  const strategyId = ((await created.json()) as { id: string }).id;

  // A draft signal strategy deploys at once: nothing to backtest, no feed to choose.
  await page.goto(`/strategies/${strategyId}`);
  await expect(page.getByTestId('signal-strategy-note'), 'no backtest or sweep form: nothing to backtest').toBeVisible();
  await expect(page.locator('#backtest')).toHaveCount(0);
  const form = page.getByRole('form', { name: 'Deploy' });
  await expect(form.getByTestId('deploy-signal-note')).toBeVisible();
  await expect(form.getByTestId('precondition-backtest')).toHaveCount(0);
  // Signals may trade live too (a real account, confirmed); paper is what the form starts on.
  await expect(form.getByTestId('live-unavailable')).toHaveCount(0);
  await expect(form.getByRole('radio', { name: 'Paper' })).toHaveAttribute('aria-checked', 'true');
  await form.getByRole('button', { name: 'Deploy to paper' }).click();
  await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/, { timeout: 15_000 });
  const deploymentId = page.url().split('/deployments/')[1]!;

  const panel = page.getByTestId('signal-webhook');
  await expect(panel.getByText('No signal yet')).toBeVisible();
  await expect(panel.getByTestId('signal-secret-state')).toContainText('No secret yet');
  await expect(panel.getByTestId('signal-template')).toContainText('"action": "{{strategy.order.action}}"');
  await panel.getByTestId('signal-secret-button').click();
  const shown = await panel.getByTestId('signal-url-with-secret').innerText();
  expect(shown).toMatch(new RegExp(`/api/v1/signals/${deploymentId}/[A-Za-z0-9_-]{43}$`));
  await panel.getByTestId('copy-signal-url').click();
  await expect(panel.getByTestId('copy-signal-url')).toHaveText(/Copied/);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied, 'the copied URL is the one shown').toBe(shown);
  await panel.getByRole('button', { name: 'I stored it' }).click();
  await expect(panel.getByTestId('signal-url-with-secret'), 'the secret is shown once').toHaveCount(0);
  await expect(panel.getByTestId('signal-secret-state')).toContainText(`Secret ${new URL(copied).pathname.split('/').at(-1)!.slice(0, 6)}…`);

  // What TradingView does: POST the alert message, as text, to the copied URL.
  const answer = await page.request.post(copied, {
    headers: { 'content-type': 'text/plain' },
    data: JSON.stringify({ action: 'buy', symbol: 'BINANCE:BTCUSDT', price: '30000', id: 'journey-1', time: new Date().toISOString() }),
  });
  expect(answer.status(), await answer.text()).toBe(201);

  // The page updates live: the signal, its outcome, the order and the position.
  const row = panel.getByTestId('signal-row').first();
  await expect(row).toHaveAttribute('data-outcome', 'executed', { timeout: 15_000 });
  await expect(row).toContainText('journey-1');
  await expect(row.getByTestId('signal-order-link')).toContainText('filled');
  const order = page.getByTestId('order-row').first();
  await expect(order.getByTestId('order-status')).toHaveText(/filled/i, { timeout: 15_000 });
  await expect(page.getByTestId('deployment-position')).not.toHaveText('flat');
  await expect(page.getByTestId('deployment-last-decision')).toContainText('buy');

  // A bad signal gets its 4xx and shows up too.
  const bad = await page.request.post(copied, { data: { action: 'buy', symbol: 'ETHUSDT', id: 'journey-2' } });
  expect(bad.status()).toBe(422);
  await expect(panel.getByTestId('signal-row').first()).toHaveAttribute('data-outcome', 'invalid', { timeout: 15_000 });
  await expect(panel.getByTestId('signal-row').first()).toContainText('this deployment trades BTC/USDT, not ETHUSDT');
});
