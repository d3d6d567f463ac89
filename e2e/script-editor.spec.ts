import { expect, test } from './contract';
import { navigate, seedBtcCandles, signInAsNewUser } from './helpers';
import { waitForChart } from './price-chart';

// Desktop only (not a *.journey.spec.ts): Monaco is the same on a phone, and the backtest steps are the backtests journey's.
test.beforeAll(seedBtcCandles);

test('write a strategy from a template, see a type error inline, fix it, save, backtest it and see its indicators and printed output', async ({ page }) => {
  test.setTimeout(180_000);
  await signInAsNewUser(page, 'script-ed');
  await navigate(page, 'Scripts');
  await expect(page.getByRole('heading', { level: 1, name: 'Scripts' })).toBeVisible();
  await expect(page.getByText('No scripts yet'), 'an empty list says so').toBeVisible();

  const form = page.getByRole('form', { name: 'New script' });
  await form.getByLabel('Name').fill('My SMA script');
  await form.getByLabel('Start from template').selectOption('sma_crossover');
  await form.getByRole('button', { name: 'Create script' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Script editor' })).toBeVisible();
  const editor = page.locator('.monaco-editor').first();
  await expect(editor, 'Monaco loads from our own bundle').toBeVisible({ timeout: 30_000 });
  await expect(editor.locator('.view-lines'), 'the template is the first text').toContainText("from '@cryptobot/sdk'");
  await expect(page.getByText('No problems.')).toBeVisible();

  // A type error: a string where the SDK's TickSums.push takes a number (with @cryptobot/sdk unresolved, TickSums would
  // be `any` and this would pass unnoticed).
  await editor.locator('.view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('new TickSums([3]).push(');
  await page.keyboard.press('Escape');
  await page.keyboard.type("'not a price'");
  await page.keyboard.press('Escape');
  await page.keyboard.press('End');
  await page.keyboard.type(';');
  await page.keyboard.press('Escape');
  const problem = page.getByTestId('problem').filter({ hasText: "'string' is not assignable to parameter of type 'number'" });
  await expect(problem, 'TypeScript reports it, checked against the SDK').toBeVisible({ timeout: 30_000 });
  await expect(problem).toHaveAttribute('data-source', 'typescript');
  await expect(editor.locator('.squiggly-error').first(), 'a Monaco error marker under the code').toBeVisible();

  // Fix it: remove the line.
  await page.keyboard.press('End');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await expect(page.getByText('No problems.'), 'the marker is gone once fixed').toBeVisible({ timeout: 30_000 });
  await expect(editor.locator('.squiggly-error')).toHaveCount(0);

  // A line the script prints when it loads (the SDK's log, imported beside the template's names): its backtest shows it.
  await page.keyboard.press('Control+Home');
  for (let k = 0; k < 'import { '.length; k++) await page.keyboard.press('ArrowRight');
  await page.keyboard.type('log');
  await page.keyboard.press('Escape');
  await page.keyboard.type(', ');
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('log(');
  await page.keyboard.press('Escape');
  await page.keyboard.type("'hello from my script'");
  await page.keyboard.press('Escape');
  // Typed over if the editor closed the bracket itself, inserted if it did not.
  await page.keyboard.type(')');
  await page.keyboard.press('Escape');
  await page.keyboard.press('End');
  await page.keyboard.type(';');
  await page.keyboard.press('Escape');
  await expect(editor.locator('.view-lines')).toContainText("log('hello from my script');");
  await expect(page.getByText('No problems.'), "the SDK's log, imported and typed").toBeVisible({ timeout: 30_000 });

  await page.getByRole('button', { name: 'Save version' }).click();
  await expect(page.getByRole('status').filter({ hasText: '✓ Saved v1' }), 'the server compiled and stored it').toBeVisible({ timeout: 30_000 });
  const version = page.getByTestId('script-version');
  await expect(version).toHaveCount(1);
  await expect(version, 'the version with its content hash').toContainText(/v1[\s\S]*sha256 [0-9a-f]{12}/);
  await expect(page.getByRole('definition').filter({ hasText: 'default 10' }), "the version's parameters").toBeVisible();

  await page.getByRole('link', { name: 'Backtest this version' }).click();
  await expect(page).toHaveURL(/\/strategies\/new\?type=script/);
  await expect(page.getByLabel('Strategy type'), "the form is generated from the script version's parameters").toHaveValue(/^script:[0-9a-f-]+@1$/);
  await page.getByLabel('Fast period (bars)').fill('5');
  await page.getByLabel('Slow period (bars)').fill('20');
  await page.getByRole('button', { name: 'Create strategy' }).click();

  const backtestForm = page.getByRole('form', { name: 'Run a backtest' });
  await expect(backtestForm).toBeVisible({ timeout: 30_000 });
  await backtestForm.getByLabel('Start (UTC)').fill('2021-01-01');
  await backtestForm.getByLabel('End (UTC, exclusive)').fill('2021-02-01');
  await backtestForm.getByRole('button', { name: 'Run backtest' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Backtest' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('metric-tradeCount'), 'the worker ran the script in its sandbox').toContainText(/\d/, { timeout: 60_000 });
  const chart = page.getByTestId('price-chart');
  await waitForChart(chart);
  const backtestId = page.url().split('/').pop()!;
  const window = (await (await page.request.get(`/api/v1/backtests/${backtestId}/chart`)).json()) as { plots: Array<{ name: string }> };
  expect(
    window.plots.map((p) => p.name),
    "the script's declared averages are plotted",
  ).toEqual(['fast_ma', 'slow_ma']);
  await expect(page.getByTestId('readout-plot-fast_ma'), 'the chart names the plots').toContainText('Fast SMA');
  await expect(page.getByTestId('script-output').getByRole('heading', { name: 'Script output' })).toBeVisible();
  await expect(page.getByTestId('script-output-line'), 'what the script printed, shown to its author').toHaveText(['hello from my script']);

  // Deployed (paper, a replay run to its end by the worker): the deployment's chart draws the script's averages too,
  // computed by the worker's sandbox on the bars the deployment processed.
  const { strategyId } = (await (await page.request.get(`/api/v1/backtests/${backtestId}`)).json()) as { strategyId: string };
  const account = await page.request.post('/api/v1/accounts', { data: { name: 'script paper', exchange: 'paper', balances: { USDT: '10000' } } });
  expect(account.status()).toBe(201);
  const deployed = await page.request.post(`/api/v1/strategies/${strategyId}/deployments`, {
    data: {
      accountId: ((await account.json()) as { id: string }).id,
      mode: 'paper',
      feed: { type: 'replay', start: '2021-03-01T00:00:00Z', speed: 3_600_000 },
    },
  });
  expect(deployed.status(), await deployed.text()).toBe(201);
  const deploymentId = ((await deployed.json()) as { id: string }).id;
  await expect
    .poll(async () => ((await (await page.request.get(`/api/v1/deployments/${deploymentId}`)).json()) as { state: string }).state, { timeout: 60_000 })
    .toBe('completed');
  await page.goto(`/deployments/${deploymentId}`);
  const deploymentChart = page.getByTestId('price-chart');
  await waitForChart(deploymentChart);
  await expect(page.getByTestId('readout-plot-slow_ma'), "the script's slow average at the last bar, on the deployment's chart").toHaveAttribute(
    'data-value',
    /^\d+(\.\d+)?$/,
    { timeout: 30_000 },
  );
});
