import postgres from 'postgres';
import { expect, test } from './contract';
import { navigate, seedBtcCandles, signInAsNewUser } from './helpers';
import { localCandles } from './local-exchange';

/** ETH/USDT 1h beside the helpers' BTC/USDT (binance, Jan–Mar 2021): the local exchange's real ETH series; idempotent. */
async function seedEthCandles(): Promise<void> {
  const rows = localCandles('ETH').filter((r) => r[0]! >= Date.parse('2021-01-01T00:00:00Z') && r[0]! < Date.parse('2021-04-01T00:00:00Z'));
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  const col = (k: number) => `{${rows.map((r) => r[k]).join(',')}}`;
  await sql`
    insert into candles (exchange, symbol, timeframe, time, open, high, low, close, volume)
    select 'binance', 'ETH/USDT', '1h', t, o, h, l, c, v
    from unnest(${col(0)}::bigint[], ${col(1)}::float8[], ${col(2)}::float8[], ${col(3)}::float8[], ${col(4)}::float8[], ${col(5)}::float8[]) as u(t, o, h, l, c, v)
    on conflict do nothing`;
  await sql.end();
}

test.beforeAll(async () => {
  await seedBtcCandles();
  await seedEthCandles();
});

test('create a pair-list strategy, backtest it, and see the per-pair table, equity per pair and each trade’s pair', async ({ page }) => {
  await signInAsNewUser(page, 'pairs-journey');
  await navigate(page, 'Strategies');
  await page.getByRole('link', { name: 'New strategy' }).first().click();

  await page.getByLabel('Name').fill('Journey pairs');
  await page.getByLabel('Strategy type').selectOption('sma_crossover');
  await page.getByLabel('Fast period (bars)').fill('5');
  await page.getByLabel('Slow period (bars)').fill('20');
  await page.getByLabel('Trade a pair list').check();
  await page.getByLabel('Pairs, in priority order').fill('BTC/USDT, ETH/USDT, ETH/USDT');
  await page.getByLabel('Max open positions').fill('1');
  await page.getByRole('button', { name: 'Create strategy' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'symbols[2]' }), 'a duplicate pair is refused by its place in the list').toBeVisible();
  await page.getByLabel('Pairs, in priority order').fill('BTC/USDT, ETH/USDT');
  await page.getByRole('button', { name: 'Create strategy' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Journey pairs' })).toBeVisible();
  await expect(page.getByText('2 pairs: BTC/USDT, ETH/USDT').first()).toBeVisible();
  const backtestForm = page.getByRole('form', { name: 'Run a backtest' });
  await backtestForm.getByLabel('Start (UTC)').fill('2021-01-01');
  await backtestForm.getByLabel('End (UTC, exclusive)').fill('2021-03-01');
  await backtestForm.getByRole('button', { name: 'Run backtest' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Backtest' })).toBeVisible();
  await expect(page.getByTestId('metric-totalReturnPct'), 'the worker ran the pair list').toBeVisible({ timeout: 30_000 });
  const pairRows = page.getByTestId('pair-row');
  await expect(pairRows, 'one row per pair, in list order').toHaveCount(2);
  await expect(pairRows.nth(0).locator('td').first()).toHaveText('BTC/USDT');
  await expect(pairRows.nth(1).locator('td').first()).toHaveText('ETH/USDT');
  await expect(pairRows.nth(0).locator('td').nth(3), 'return as a signed percentage').toHaveText(/^[+\u2212-]?\d[\d,]*\.\d{2}\s?%$/);
  await expect(page.getByText(/at most 1 open/)).toBeVisible();
  await expect(page.getByTestId('pair-equity-chart').locator('.recharts-line'), 'a line per pair').toHaveCount(2);
  await expect(page.getByTestId('equity-chart').locator('.recharts-line')).toBeVisible();
  await expect(page.getByTestId('price-chart'), 'no single price chart for a pair list').toHaveCount(0);
  const trades = page.getByTestId('trade-row');
  expect(await trades.count(), 'the pair list traded').toBeGreaterThan(0);
  const pairs = new Set(await trades.locator('td:first-child').allInnerTexts());
  expect(
    [...pairs].every((p) => p === 'BTC/USDT' || p === 'ETH/USDT'),
    `each trade names its pair: ${[...pairs].join(', ')}`,
  ).toBe(true);
});

test('create a top-volume pair list: the form previews today’s ranking (loading, error, empty), then saves the spec and its list, and an edit re-ranks a new N', async ({
  page,
}) => {
  await signInAsNewUser(page, 'pairs-top-volume');
  await navigate(page, 'Strategies');
  await page.getByRole('link', { name: 'New strategy' }).first().click();
  await page.getByLabel('Name').fill('Journey top volume');
  await page.getByLabel('Strategy type').selectOption('sma_crossover');
  await page.getByLabel('Trade a pair list').check();

  // The exchange cannot be read: the preview says so and offers to retry.
  const previewRequest = (url: URL) => url.pathname.includes('strategies.topVolumePreview');
  await page.route(previewRequest, (route) => route.abort());
  await page.getByLabel('Top N by quote volume').check();
  await expect(page.getByLabel('Quote currency'), 'the quote of the market picked').toHaveValue('USDT');
  await page.getByLabel('Number of pairs').fill('3');
  const failed = page.getByRole('alert').filter({ hasText: 'Could not rank the markets' });
  await expect(failed).toBeVisible();
  await page.unroute(previewRequest);
  await failed.getByRole('button', { name: 'Try again' }).click();

  const preview = page.getByTestId('top-volume-pair');
  await expect(preview, 'the local exchange’s top 3 USDT markets').toHaveCount(3);
  const ranked = (await preview.allInnerTexts()).map((text) => text.replace(/^\d+\.\s*/, '').trim());

  // No market quotes EUR: the preview's empty state, and saving is a 422 naming the field.
  await page.getByLabel('Quote currency').fill('EUR');
  await expect(page.getByRole('status').filter({ hasText: 'No active binance market quotes EUR' })).toBeVisible();
  await page.getByRole('button', { name: 'Create strategy' }).click();
  await expect(page.getByText('binance lists no active market quoting EUR')).toBeVisible();

  await page.getByLabel('Quote currency').fill('usdt');
  await expect(preview).toHaveCount(3);
  await page.getByRole('button', { name: 'Create strategy' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Journey top volume' })).toBeVisible();
  await expect(page.getByText(`top 3 by USDT volume, now 3 pairs: ${ranked.join(', ')}`).first(), 'the list previewed is the list saved').toBeVisible();

  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  const stored = (await (await page.request.get(`/api/v1/strategies/${id}`)).json()) as { symbols: string[]; pairlist: unknown };
  expect([stored.symbols, stored.pairlist]).toEqual([ranked, { type: 'top_volume', n: 3, quote: 'USDT' }]);

  // The settings form shows the spec; a new N is ranked again when saved, and stays a list the exchange chooses.
  const edit = page.getByRole('form', { name: 'Edit strategy' });
  await expect(edit.getByLabel('Top N by quote volume')).toBeChecked();
  await expect(edit.getByLabel('Number of pairs')).toHaveValue('3');
  await expect(edit.getByTestId('top-volume-pair')).toHaveCount(3);
  await edit.getByLabel('Number of pairs').fill('2');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(`top 2 by USDT volume, now 2 pairs: ${ranked.slice(0, 2).join(', ')}`).first()).toBeVisible();
});

test('deploy a pair list on a paper replay: one deployment, a position row per pair', async ({ page }) => {
  await signInAsNewUser(page, 'pairs-deploy');
  const account = await page.request.post('/api/v1/accounts', { data: { name: 'Pairs desk', exchange: 'paper', balances: { USDT: '10000' } } });
  expect(account.status(), await account.text()).toBe(201);
  const created = await page.request.post('/api/v1/strategies', {
    data: {
      name: 'Deployed pairs',
      type: 'sma_crossover',
      params: { fastPeriod: 5, slowPeriod: 20 },
      exchange: 'binance',
      symbols: ['BTC/USDT', 'ETH/USDT'],
      timeframe: '1h',
      capital: { maxOpenPositions: 1 },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const strategyId = ((await created.json()) as { id: string }).id;
  const backtest = await page.request.post('/api/v1/backtests', { data: { strategyId, start: '2021-01-01T00:00:00Z', end: '2021-01-15T00:00:00Z' } });
  expect(backtest.status(), await backtest.text()).toBe(202);
  const { id } = (await backtest.json()) as { id: string };
  await expect
    .poll(async () => ((await (await page.request.get(`/api/v1/backtests/${id}`)).json()) as { status: string }).status, {
      message: 'the worker completes the backtest',
      timeout: 60_000,
    })
    .toBe('completed');

  await page.goto(`/strategies/${strategyId}`);
  await expect(page.getByRole('list', { name: 'Lifecycle' }).locator('[aria-current="step"]')).toHaveText('backtested');
  const form = page.getByRole('form', { name: 'Deploy' });
  await expect(form.getByLabel('Market data feed')).toHaveValue('replay');
  await form.getByLabel('Replay start (UTC)').fill('2021-01-01T00:00');
  await form.getByLabel('Speed').selectOption('36000');
  await form.getByRole('button', { name: 'Deploy to paper' }).click();

  await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/, { timeout: 15_000 });
  const pairs = page.getByTestId('deployment-pairs');
  await expect(pairs.getByRole('heading', { name: 'Positions per pair' })).toBeVisible();
  const rows = pairs.getByTestId('deployment-pair-row');
  await expect(rows, 'one row per pair, in list order').toHaveCount(2);
  await expect(rows.nth(0).locator('td').first()).toHaveText('BTC/USDT');
  await expect(rows.nth(1).locator('td').first()).toHaveText('ETH/USDT');
  await expect(page.getByTestId('deployment-position')).toHaveText(/of 1 slots held$/);
  // The worker replays both pairs: each row gets its last close, live, without a reload.
  await expect(rows.nth(1).locator('td').nth(3), 'ETH/USDT marked at its close').toHaveText(/^\d[\d,]*\.\d+$/, { timeout: 30_000 });
  await expect(rows.nth(0).locator('td').nth(3), 'BTC/USDT marked at its close').toHaveText(/^\d[\d,]*\.\d+$/);
});
