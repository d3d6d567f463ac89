import { expect, test, type APIRequestContext, type Locator } from './contract';
import { formatQuantity } from '@/components/format';
import { navigate, seedBtcCandles, signInAsNewUser } from './helpers';
import { LOCAL_EXCHANGE_CREDENTIALS } from './local-exchange';

test.beforeAll(seedBtcCandles);

const STRATEGY = {
  name: 'Replay SMA',
  type: 'sma_crossover',
  params: { fastPeriod: 5, slowPeriod: 20 },
  exchange: 'binance',
  symbol: 'BTC/USDT',
  timeframe: '1h',
};

/** Runs a backtest through the API (the worker inside the e2e web server runs it) and waits for it. */
async function backtest(request: APIRequestContext, strategyId: string): Promise<void> {
  const queued = await request.post('/api/v1/backtests', {
    data: { strategyId, start: '2021-01-01T00:00:00Z', end: '2021-01-15T00:00:00Z', initialCapital: 10000, feeRate: 0.001, slippage: 0.0005 },
  });
  expect(queued.status(), await queued.text()).toBe(202);
  const { id } = (await queued.json()) as { id: string };
  await expect
    .poll(async () => ((await (await request.get(`/api/v1/backtests/${id}`)).json()) as { status: string }).status, {
      message: 'the worker completes the backtest',
      timeout: 60_000,
    })
    .toBe('completed');
}

const attr = async (locator: Locator, name: string) => (await locator.getAttribute(name)) ?? '';

test('deploy a strategy on a fast replay, watch orders and equity arrive live on the dashboard, pause, the kill switch, stop, then go live after a confirmation', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await signInAsNewUser(page, 'trade');
  const account = await page.request.post('/api/v1/accounts', { data: { name: 'Replay desk', exchange: 'paper', balances: { USDT: '20000' } } });
  expect(account.status(), await account.text()).toBe(201);
  const accountId = ((await account.json()) as { id: string }).id;
  const created = await page.request.post('/api/v1/strategies', { data: STRATEGY });
  expect(created.status(), await created.text()).toBe(201);
  const strategyId = ((await created.json()) as { id: string }).id;

  // A draft strategy cannot be deployed: the form says why before anything is sent, and links to the backtest.
  await page.goto(`/strategies/${strategyId}`);
  const form = page.getByRole('form', { name: 'Deploy' });
  await expect(form.getByTestId('precondition-backtest')).toContainText('Backtest the strategy first.');
  await expect(form.getByRole('link', { name: 'Run a backtest' })).toHaveAttribute('href', '#backtest');
  await expect(form.getByRole('button', { name: 'Deploy to paper' })).toBeDisabled();
  await form.getByRole('radio', { name: 'Live (real money)' }).click();
  await expect(form.getByTestId('precondition-backtest'), 'live: the backtest comes first too').toBeVisible();
  await expect(form.getByRole('button', { name: 'Review live deployment' })).toBeDisabled();
  await form.getByRole('radio', { name: 'Paper' }).click();

  await backtest(page.request, strategyId);
  await page.goto(`/strategies/${strategyId}`);
  await expect(page.getByRole('list', { name: 'Lifecycle' }).locator('[aria-current="step"]')).toHaveText('backtested');

  // The replay form: start defaults to the first stored candle; speed from the presets.
  const markets = await page.request.get(`/api/trpc/strategies.markets`);
  const stored = (
    (await markets.json()) as { result: { data: { json: Array<{ exchange: string; symbol: string; timeframe: string; firstTime: number }> } } }
  ).result.data.json.find((m) => m.exchange === 'binance' && m.symbol === 'BTC/USDT' && m.timeframe === '1h')!;
  await expect(form.getByLabel('Account')).toHaveValue(accountId);
  await form.getByRole('radio', { name: 'Live (real money)' }).click();
  // Every unmet precondition at once, before any confirmation: a paper run first, and an account on binance.
  await expect(form.getByTestId('precondition-paper-first')).toBeVisible();
  await expect(form.getByTestId('precondition-account'), 'live mode offers real accounts on the strategy exchange only').toContainText(
    'Add an account on binance',
  );
  await expect(form.getByRole('button', { name: 'Review live deployment' })).toBeDisabled();
  await form.getByRole('radio', { name: 'Paper' }).click();
  await expect(form.getByLabel('Market data feed')).toHaveValue('replay');
  await expect(form.getByLabel('Replay start (UTC)'), 'defaults to the first stored candle').toHaveValue(new Date(stored.firstTime).toISOString().slice(0, 16));
  await form.getByLabel('Replay start (UTC)').fill('2021-01-01T00:00');
  await form.getByLabel('Speed').selectOption('36000');
  await form.getByLabel('Capital (USDT)').fill('10000');
  await form.getByLabel('Max drawdown (%)').fill('abc');
  await form.getByRole('button', { name: 'Deploy to paper' }).click();
  await expect(form.getByText(/riskLimits\.maxDrawdownFraction/), 'a 422 is shown next to the field it names').toBeVisible();
  await form.getByLabel('Max drawdown (%)').fill('90');
  await form.getByRole('button', { name: 'Deploy to paper' }).click();

  await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/, { timeout: 15_000 });
  await expect(page.getByRole('heading', { level: 1, name: STRATEGY.name })).toBeVisible();
  const deploymentId = page.url().split('/deployments/')[1]!;
  expect(deploymentId, 'the deploy opened the deployment page').toMatch(/^[0-9a-f-]{36}$/);
  await expect(page.getByTestId('deployment-feed')).toHaveText('replay · 36,000×');
  await expect(page.getByTestId('deployment-state')).toHaveAttribute('data-state', 'running');

  // The dashboard, reached by client-side navigation; from here on the page is never reloaded.
  await navigate(page, 'Dashboard');
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await page.evaluate(() => Object.assign(window, { __journeyNoReload: true }));
  await expect(page.getByTestId('live-status'), 'subscribed to live events').toHaveAttribute('data-status', 'live', { timeout: 15_000 });

  const row = page.getByRole('listitem', { name: `Deployment ${STRATEGY.name}` });
  await expect(row.getByTestId('deployment-state')).toHaveAttribute('data-state', 'running');
  await expect(page.getByTestId('total-equity'), 'the portfolio total is shown').toHaveText(/^\d[\d,]*\.\d{2} USDT$/);

  const decisionAtArrival = await row.getByTestId('deployment-last-decision').innerText();
  const equityAtArrival = await row.getByTestId('deployment-equity').innerText();
  const chart = row.getByTestId('deployment-equity-chart');
  const pointsAtArrival = Number(await attr(chart, 'data-points'));
  const recent = page.getByTestId('recent-order');
  const newestAtArrival = (await recent.count()) > 0 ? await attr(recent.first(), 'data-order-id') : '';

  await expect(row.getByTestId('deployment-last-decision'), 'the replay moves on: a later bar is decided').not.toHaveText(decisionAtArrival, {
    timeout: 30_000,
  });
  await expect
    .poll(async () => attr(recent.first(), 'data-order-id'), { message: 'a new order of the deployment appears in the recent orders', timeout: 60_000 })
    .not.toBe(newestAtArrival);
  await expect(recent.filter({ has: page.getByRole('link', { name: STRATEGY.name }) }).first(), 'a deployment order, filled').toHaveAttribute(
    'data-status',
    'filled',
  );
  await expect(
    recent
      .filter({ has: page.getByRole('link', { name: STRATEGY.name }) })
      .first()
      .getByTestId('recent-order-fill'),
  ).toContainText(/BTC @ \d/);
  await expect
    .poll(async () => Number(await attr(chart, 'data-points')), { message: 'the equity curve grows as bars and fills arrive', timeout: 60_000 })
    .toBeGreaterThan(pointsAtArrival + 3);
  await expect(chart.locator('.recharts-line-curve')).toBeVisible();
  await expect(row.getByTestId('deployment-equity'), 'the equity follows the market').not.toHaveText(equityAtArrival, { timeout: 60_000 });
  await expect
    .poll(async () => Number(await row.getByTestId('deployment-trades').innerText()), { message: 'trades close', timeout: 60_000 })
    .toBeGreaterThan(0);

  // Pause: the state changes here, and the replay stands still.
  await row.getByRole('button', { name: `Pause ${STRATEGY.name}` }).click();
  await expect(row.getByTestId('deployment-state')).toHaveAttribute('data-state', 'paused');
  const decisionWhenPaused = await row.getByTestId('deployment-last-decision').innerText();
  await page.waitForTimeout(2_500);
  await expect(row.getByTestId('deployment-last-decision'), 'a paused deployment decides nothing').toHaveText(decisionWhenPaused);

  await row.getByRole('button', { name: `Resume ${STRATEGY.name}` }).click();
  await expect(row.getByTestId('deployment-state')).toHaveAttribute('data-state', 'running');
  await expect(row.getByTestId('deployment-last-decision'), 'resumed: bars are decided again').not.toHaveText(decisionWhenPaused, { timeout: 30_000 });

  // A resting manual order on the same account: the kill switch must cancel it too.
  const resting = await page.request.post('/api/v1/orders', {
    data: { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.001', price: '1000' },
  });
  expect(resting.status(), await resting.text()).toBe(201);
  const restingId = ((await resting.json()) as { id: string }).id;
  await expect(page.locator(`[data-testid="recent-order"][data-order-id="${restingId}"]`), 'listed with the next live refresh').toHaveAttribute(
    'data-status',
    'open',
    { timeout: 30_000 },
  );

  // The kill switch: says what it will do, takes an optional reason, reports what it did.
  await page.getByRole('button', { name: 'Kill switch', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('every running deployment (1 now)');
  await expect(dialog).toContainText('all your open orders are canceled (1 now)');
  await dialog.getByLabel('Reason').fill('journey: exchange outage drill');
  await dialog.getByRole('button', { name: 'Engage kill switch' }).click();
  await expect(dialog.getByTestId('kill-switch-result')).toContainText('Engaged: paused 1 deployment, canceled 1 order.');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('kill-switch-banner'), 'the latch shows across the app').toContainText('journey: exchange outage drill');

  await expect(row.getByTestId('deployment-state'), 'the dashboard shows the pause without a reload').toHaveAttribute('data-state', 'paused');
  await expect(row).toContainText('kill switch: journey: exchange outage drill');
  await expect(page.locator(`[data-testid="recent-order"][data-order-id="${restingId}"]`), 'the resting manual order shows canceled').toHaveAttribute(
    'data-status',
    'canceled',
  );
  const alert = page.getByTestId('alert-row').filter({ hasText: 'Kill switch engaged: 1 deployment paused, 1 order canceled' });
  await expect(alert, 'the kill switch alert arrives live').toBeVisible();
  await alert.getByRole('button', { name: /^Acknowledge alert/ }).click();
  await expect(alert, 'acknowledged alerts leave the list').toHaveCount(0);

  expect(await page.evaluate(() => (window as unknown as { __journeyNoReload?: boolean }).__journeyNoReload), 'the dashboard was never reloaded').toBe(true);

  const after = (await (await page.request.get(`/api/v1/deployments/${deploymentId}`)).json()) as {
    state: string;
    stateReason: string | null;
    position: { quantity: string };
    amountStep: string | null;
  };
  expect(after.state).toBe('paused');
  expect(after.stateReason).toBe('kill switch: journey: exchange outage drill');
  const canceled = (await (await page.request.get(`/api/v1/orders/${restingId}`)).json()) as { status: string };
  expect(canceled.status, 'the kill switch canceled the manual order').toBe('canceled');

  // Released from the banner (confirmed): the deployment stays paused until resumed below.
  const banner = page.getByTestId('kill-switch-banner');
  await banner.getByRole('button', { name: 'Release' }).click();
  await page.getByRole('dialog', { name: 'Release the kill switch?' }).getByRole('button', { name: 'Release' }).click();
  await expect(banner).toHaveCount(0);

  // Stop, from the deployment's page: it asks whether to close the position (when there is one).
  await row.getByRole('link', { name: STRATEGY.name }).click();
  await page.waitForURL(`**/deployments/${deploymentId}`);
  let position = after.position.quantity;
  if (position === '0') {
    // Flat: resume until the strategy enters, then pause again, so the stop has a position to close.
    await page.getByRole('button', { name: `Resume ${STRATEGY.name}` }).click();
    await expect(page.getByTestId('deployment-position'), 'the strategy enters again').not.toHaveText('flat', { timeout: 60_000 });
    await page.getByRole('button', { name: `Pause ${STRATEGY.name}` }).click();
    await expect(page.getByTestId('deployment-state')).toHaveAttribute('data-state', 'paused');
    position = ((await (await page.request.get(`/api/v1/deployments/${deploymentId}`)).json()) as { position: { quantity: string } }).position.quantity;
  }
  await page.getByRole('button', { name: `Stop ${STRATEGY.name}` }).click();
  const stopDialog = page.getByRole('dialog', { name: 'Stop this deployment?' });
  // Almost always holding now (an exit may land between seeing the position and the pause): both cases are checked.
  const holding = position !== '0';
  if (holding) {
    await expect(stopDialog, 'names the position, on the lot step').toContainText(`It holds ${formatQuantity(position, { step: after.amountStep })} BTC`);
    await stopDialog.getByRole('checkbox', { name: /Close the position\?/ }).check();
  } else {
    await expect(stopDialog).toContainText('It holds no position.');
    await expect(stopDialog.getByRole('checkbox'), 'nothing to close').toHaveCount(0);
  }
  await stopDialog.getByRole('button', { name: 'Stop deployment' }).click();
  await expect(page.getByTestId('deployment-state')).toHaveAttribute('data-state', 'stopped');
  await expect(page.getByRole('status').filter({ hasText: 'Stopped:' })).toContainText(
    holding ? '0 open orders canceled, position sold at market.' : '0 open orders canceled.',
  );
  await expect(page.getByTestId('deployment-position'), 'flat after the stop').toHaveText('flat');

  // Live: a real account (the run's local Binance), and a confirmation that names the account and the maximum position.
  const binance = await page.request.post('/api/v1/accounts', { data: { name: 'Binance main', exchange: 'binance', credentials: LOCAL_EXCHANGE_CREDENTIALS } });
  expect(binance.status(), await binance.text()).toBe(201);
  await page.locator(`a[href="/strategies/${strategyId}"]`).click();
  await page.waitForURL(`**/strategies/${strategyId}`);
  await expect(page.getByRole('list', { name: 'Lifecycle' }).locator('[aria-current="step"]')).toHaveText('stopped');
  await form.getByRole('radio', { name: 'Live (real money)' }).click();
  await expect(form.getByLabel('Account')).toHaveValue(((await binance.json()) as { id: string }).id);
  await expect(form.getByLabel('Market data feed'), 'live trades on the live feed only').toBeDisabled();
  await form.getByRole('button', { name: 'Review live deployment' }).click();
  const confirm = page.getByRole('dialog', { name: 'Start live trading?' });
  await expect(form.getByText('is required for a live deployment'), 'checked before the confirmation, next to the maximum position').toBeVisible();
  await expect(confirm, 'no real-money confirmation for a request that must fail').toHaveCount(0);
  await form.getByLabel('Maximum position (USDT)').fill('500');
  await form.getByRole('button', { name: 'Review live deployment' }).click();
  await expect(confirm.getByTestId('confirm-account')).toHaveText('Binance main');
  await expect(confirm.getByTestId('confirm-max-position')).toHaveText('500 USDT');
  await expect(confirm).toContainText('real orders');
  await confirm.getByRole('button', { name: 'Deploy live' }).click();
  await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/, { timeout: 15_000 });
  expect(page.url(), 'a new deployment').not.toContain(deploymentId);
  await expect(page.getByTestId('deployment-feed')).toHaveText('live');
  await expect(page.getByTestId('deployment-state')).toHaveAttribute('data-state', 'running');
  await page.getByRole('button', { name: `Stop ${STRATEGY.name}` }).click();
  await page.getByRole('dialog', { name: 'Stop this deployment?' }).getByRole('button', { name: 'Stop deployment' }).click();
  await expect(page.getByTestId('deployment-state'), 'the live deployment is stopped again').toHaveAttribute('data-state', 'stopped');
});
