import { expect, test } from './contract';
import { navigate, signInAsNewUser } from './helpers';
import { LOCAL_EXCHANGE_CREDENTIALS } from './local-exchange';

test('a trader adds a paper account and a Binance account, sees its balance, tests the connection and deletes with confirmation', async ({ page }) => {
  await signInAsNewUser(page, 'acc');
  await navigate(page, 'Accounts');
  await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeVisible();
  await expect(page.getByText('No accounts yet'), 'a new user starts with no accounts').toBeVisible();

  // A paper account with 10,000 USDT.
  await page.getByRole('button', { name: 'Add account' }).first().click();
  await page.getByLabel('Name').fill('Paper 10k');
  await expect(page.getByLabel('Exchange'), 'paper is the default').toHaveValue('paper');
  await expect(page.getByLabel('Starting balance USDT')).toHaveValue('10000');
  await page.getByRole('button', { name: 'Add account' }).click();
  const paper = page.getByRole('region', { name: 'Account Paper 10k' });
  await expect(paper.getByTestId('balance-USDT-total'), 'the chosen starting balance').toHaveText('10,000');

  // A Binance account (the run's local Binance, e2e/local-exchange.ts): the credentials form, and the secret is never shown back.
  const { apiKey, secret } = LOCAL_EXCHANGE_CREDENTIALS;
  await page.getByRole('button', { name: 'Add account' }).click();
  await page.getByLabel('Name').fill('Binance main');
  await page.getByLabel('Exchange').selectOption('binance');
  await page.getByLabel('API key').fill(apiKey);
  await page.getByLabel('API secret').fill(secret);
  await page.getByRole('button', { name: 'Add account' }).click();
  const binance = page.getByRole('region', { name: 'Account Binance main' });
  await expect(binance.getByTestId('api-key-hint'), 'only the last 4 characters of the key').toHaveText('…zx81');
  await expect(page.locator('body'), 'the secret appears nowhere on the page').not.toContainText(secret);
  await expect(page.locator('body')).not.toContainText(apiKey);

  // The balance comes from the exchange (signed requests the local Binance checks), and the connection test passes.
  await expect(binance.getByTestId('balance-USDT-total'), "the exchange account's balance").toHaveText('10,000');
  await expect(binance.getByTestId('balance-BTC-total')).toHaveText('1');
  await binance.getByRole('button', { name: 'Test connection' }).click();
  await expect(binance.getByRole('status')).toContainText(/Connected: connected to binance: \d+ assets? with a balance/);
  await expect(binance.getByRole('status')).not.toContainText(secret);

  // Delete the paper account, after a confirmation that says what happens.
  await paper.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Delete "Paper 10k"?');
  await expect(dialog).toContainText('Its paper balances and its order history are deleted.');
  await dialog.getByRole('button', { name: 'Delete account' }).click();
  await expect(paper, 'the account is gone').toHaveCount(0);
  await expect(binance, 'the other account stays').toBeVisible();
  await page.reload();
  await expect(page.getByRole('region', { name: 'Account Paper 10k' }), 'deleted for good').toHaveCount(0);
});
