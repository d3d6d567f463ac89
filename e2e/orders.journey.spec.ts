import { expect, test } from './contract';
import { navigate, signInAsNewUser } from './helpers';
import { LOCAL_EXCHANGE_CREDENTIALS } from './local-exchange';

// The browser's own zone, which the Settings page offers as "local time" (times show in UTC until it is picked).
test.use({ timezoneId: 'Asia/Kolkata' });

test('a trader places a paper market order from the ticket and sees it filled with its fill and history', async ({ page }) => {
  await signInAsNewUser(page, 'ord');
  const created = await page.request.post('/api/v1/accounts', { data: { name: 'Paper desk', exchange: 'paper', balances: { USDT: '10000' } } });
  expect(created.status(), await created.text()).toBe(201);

  await navigate(page, 'Orders');
  await expect(page.getByRole('heading', { level: 1, name: 'Orders' })).toBeVisible();
  await expect(page.getByText('No orders', { exact: true }), 'nothing placed yet').toBeVisible();

  await page.getByLabel('Quantity (BTC)').fill('0.01');
  // Stored candles when some test imported BTC/USDT before this one, else the simulated market: labelled either way.
  await expect(page.getByTestId('ticket-price-source'), 'the price source is labelled').toHaveText(/^(simulated market|stored candles \(\w+ \w+\))$/);
  await expect(page.getByTestId('ticket-estimated-cost'), 'cost estimated before confirming').toHaveText(/^\d{1,3}(,\d{3})*\.\d{2} USDT$/);
  await expect(page.getByTestId('ticket-estimated-fee'), 'a fee to at most 8 decimals').toHaveText(/^\d+(\.\d{1,8})? USDT$/);

  await page.getByRole('button', { name: 'Review order' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog, 'the confirmation says exactly what happens').toContainText('Buy 0.01 BTC at market on Paper desk (paper: no real money)');
  const source = await page.getByTestId('ticket-price-source').innerText();
  await expect(dialog, 'the confirmation names the price source the ticket showed').toContainText(`priced from the ${source}`);
  await dialog.getByRole('button', { name: 'Place order' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Order placed' }), 'a paper market order fills at once').toContainText('filled');

  const row = page.getByTestId('order-row').first();
  await expect(row.getByTestId('order-status')).toHaveText('filled');
  await row.getByRole('button', { name: 'Details' }).click();
  await expect(row.getByTestId('fill-row'), 'one fill').toHaveCount(1);
  const fill = row.getByTestId('fill-row').locator('td');
  await expect(fill.nth(0), 'one date-time format, with its zone (UTC by default)').toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
  await expect(fill.nth(1), "the quantity on the paper market's lot step (0.000001)").toHaveText('0.010000');
  await expect(fill.nth(2), 'the fill price grouped by thousands, on the tick (0.01)').toHaveText(/^\d{1,3}(,\d{3})+\.\d{2}$/);
  await expect(fill.nth(3), 'the fee to at most 8 decimals, on one line').toHaveText(/^\d+(\.\d{1,8})? USDT$/);
  const feeBox = await fill.nth(3).boundingBox();
  const priceBox = await fill.nth(2).boundingBox();
  expect(feeBox!.height, 'the fee does not wrap').toBeLessThanOrEqual(priceBox!.height + 1);
  await expect(row.getByTestId('order-fill-summary'), 'the average price grouped, on the tick, with its unit').toHaveText(/^avg \d{1,3}(,\d{3})+\.\d{2} USDT$/);
  await expect(row.getByTestId('order-quantity'), 'the order quantity on the lot step').toHaveText('0.010000');
  await expect(row.getByTestId('order-event'), 'created → sent → filled').toHaveCount(3);
  await expect(row.getByTestId('order-event').last()).toContainText('open → filled');

  // The dashboard's position: the same lot step and tick.
  await navigate(page, 'Dashboard');
  const position = page.getByTestId('position-row').filter({ hasText: 'BTC/USDT' });
  await expect(position.getByTestId('position-quantity'), 'the position on the lot step').toHaveText('0.010000 BTC');
  await expect(position.getByTestId('position-average-price'), 'the average entry price (fees included) on the tick').toHaveText(/^\d{1,3}(,\d{3})+\.\d{2}$/);

  await navigate(page, 'Accounts');
  const account = page.getByRole('region', { name: 'Account Paper desk' });
  await expect(account.getByTestId('balance-BTC-total'), 'the bought BTC is in the balance').toHaveText('0.01');

  // Local time, chosen in Settings (stored per user): the same fill now reads in the browser's zone.
  await navigate(page, 'Settings');
  await expect(page.getByTestId('time-zone-example')).toHaveText(/UTC$/);
  // Chromium names the zone by its older alias.
  await page.getByLabel(/^My local time \(Asia\/(Kolkata|Calcutta)\)$/).check();
  await expect(page.getByTestId('time-zone-example'), 'the setting took').toHaveText(/UTC\+5:30$/);
  await navigate(page, 'Orders');
  await page.getByTestId('order-row').first().getByRole('button', { name: 'Details' }).click();
  await expect(page.getByTestId('fill-row').locator('td').first(), 'the fill time in local time, with its offset').toHaveText(
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\+5:30$/,
  );
});

test("an order on a real exchange shows its quantity on the exchange's lot step and its price on its tick", async ({ page }) => {
  await signInAsNewUser(page, 'ordtick');
  // The run's local Binance: BTC/USDT has PRICE_FILTER tickSize 0.01 and LOT_SIZE stepSize 0.00001 (e2e/local-exchange-server.ts).
  const created = await page.request.post('/api/v1/accounts', { data: { name: 'Binance tick', exchange: 'binance', credentials: LOCAL_EXCHANGE_CREDENTIALS } });
  expect(created.status(), await created.text()).toBe(201);
  const accountId = ((await created.json()) as { id: string }).id;
  // Far below the market: it rests (the local exchange fills a resting order only when a test says so).
  const placed = await page.request.post('/api/v1/orders', {
    data: { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.0015', price: '10000.5' },
  });
  expect(placed.status(), await placed.text()).toBe(201);
  const order = (await placed.json()) as { id: string; status: string; priceTick: string | null; amountStep: string | null };
  expect(order, "the order carries the exchange's precision, as ccxt reads it").toMatchObject({ status: 'open', priceTick: '0.01', amountStep: '0.00001' });

  await navigate(page, 'Orders');
  const row = page.locator(`[data-testid="order-row"][data-order-id="${order.id}"]`);
  await expect(row.getByTestId('order-quantity'), 'five decimals, the lot step (significant digits would show 0.0015)').toHaveText('0.00150');
  await expect(row.getByTestId('order-price'), 'two decimals, the tick, grouped').toHaveText('10,000.50');

  // Leave the shared local exchange account as it was.
  await row.getByRole('button', { name: 'Cancel', exact: true }).click();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: /Cancel order/ })
    .click();
  await expect(row.getByTestId('order-status')).toHaveText('canceled');
});
