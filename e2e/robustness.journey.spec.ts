import { expect, test } from './contract';
import { navigate, seedBtcCandles, signInAsNewUser } from './helpers';

test.beforeAll(seedBtcCandles);

test('bias-check a strategy, backtest it, then run Monte Carlo studies in the backtest’s Robustness tab', async ({ page }) => {
  test.setTimeout(240_000); // worker jobs (a bias check, 3 walk-forward folds, a backtest, two studies, a permutation test) on a shared 2-core machine
  await signInAsNewUser(page, 'robust-journey');
  await navigate(page, 'Strategies');
  await page.getByRole('link', { name: 'New strategy' }).first().click();
  await page.getByLabel('Name').fill('Robust SMA');
  await page.getByLabel('Strategy type').selectOption('sma_crossover');
  await page.getByLabel('Fast period (bars)').fill('5');
  await page.getByLabel('Slow period (bars)').fill('20');
  await page.getByRole('button', { name: 'Create strategy' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Robust SMA' })).toBeVisible();

  // Bias checks on the strategy page: a range too short is refused by field, then both checks pass.
  const biasForm = page.getByRole('form', { name: 'Run bias checks' });
  await biasForm.getByLabel('Start (UTC)').fill('2021-01-01');
  await biasForm.getByLabel('End (UTC, exclusive)').fill('2021-01-05');
  await biasForm.getByRole('button', { name: 'Run bias checks' }).click();
  await expect(page.getByText(/the recursive check needs at least 844/), 'the short range is refused with the bars needed').toBeVisible();
  await biasForm.getByLabel('End (UTC, exclusive)').fill('2021-03-01');
  await biasForm.getByRole('button', { name: 'Run bias checks' }).click();
  await expect(page.getByTestId('bias-lookahead'), 'the worker ran the look-ahead check').toContainText('Look-ahead: passed', { timeout: 30_000 });
  await expect(page.getByTestId('bias-recursive')).toContainText('Recursive: passed');
  await expect(page.getByTestId('bias-check')).toContainText('1,416 bars checked');

  // Walk-forward on the strategy page: windows too short for the warm-up are refused by field, then a 3-fold grid.
  const wf = page.getByRole('form', { name: 'Run a walk-forward' });
  await wf.getByLabel('Search Fast period (bars)').check();
  await wf.getByLabel('Fast period (bars) max (walk-forward)').fill('8');
  await wf.getByLabel('Fast period (bars) step (walk-forward)').fill('3');
  await wf.getByLabel('Search Slow period (bars)').check();
  await wf.getByLabel('Slow period (bars) max (walk-forward)').fill('40');
  await wf.getByLabel('Slow period (bars) step (walk-forward)').fill('20');
  await wf.getByLabel('Start (UTC)').fill('2021-01-01');
  await wf.getByLabel('End (UTC, exclusive)').fill('2021-03-01');
  await wf.getByLabel('Folds').fill('50');
  await wf.getByRole('button', { name: 'Run walk-forward' }).click();
  await expect(wf.getByText(/not more than the warm-up/), 'folds too short for the warm-up are refused').toBeVisible();
  await wf.getByLabel('Folds').fill('3');
  await wf.getByRole('button', { name: 'Run walk-forward' }).click();
  await expect(page.getByTestId('wf-efficiency'), 'the workers ran every fold and stitched them').toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('wf-folds').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('wf-oos-return')).toHaveText(/^[+\u2212−]?[\d,]+\.\d{2} %$/);
  await expect(page.getByTestId('wf-fold-bars').locator('.recharts-bar-rectangle').first()).toBeVisible();
  await expect(page.getByTestId('wf-equity').locator('.recharts-line')).toBeVisible();

  const backtestForm = page.getByRole('form', { name: 'Run a backtest' });
  await backtestForm.getByLabel('Start (UTC)').fill('2021-01-01');
  await backtestForm.getByLabel('End (UTC, exclusive)').fill('2021-02-01');
  await backtestForm.getByRole('button', { name: 'Run backtest' }).click();
  await expect(page.getByTestId('metric-totalReturnPct'), 'the backtest completed').toBeVisible({ timeout: 30_000 });

  await page.getByRole('tab', { name: 'Robustness' }).click();
  await expect(page.getByRole('tab', { name: 'Robustness' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByText('No Monte Carlo study yet'), 'the empty state before any study').toBeVisible();
  const form = page.getByRole('form', { name: 'Run a Monte Carlo study' });
  await form.getByLabel('Runs').fill('50');
  await form.getByRole('button', { name: 'Run Monte Carlo' }).click();
  await expect(form.getByText('must be at least 1000'), 'too few runs is refused by field').toBeVisible();
  await form.getByLabel('Runs').fill('2000');
  await form.getByLabel('Seed (optional)').fill('7');
  await form.getByRole('button', { name: 'Run Monte Carlo' }).click();
  const results = page.getByTestId('monte-carlo-results');
  await expect(results, 'the worker ran the shuffles').toBeVisible({ timeout: 30_000 });
  const percent = /^[+\u2212−]?[\d,]+\.\d{2} %$/;
  const [p5, p50, p95] = (await page.getByTestId('mc-final-return').innerText()).split(' / ');
  for (const value of [p5, p50, p95]) expect(value?.trim(), 'percentages through the formatting module').toMatch(percent);
  expect(p5, 'a shuffle never changes the final return').toBe(p95);
  await expect(page.getByTestId('mc-ruin')).toHaveText(/^[\d.]+ %$/);
  await expect(page.getByTestId('fan-chart').locator('.recharts-area'), 'the fan chart draws the P5–P95 band').toBeVisible();
  await expect(page.getByTestId('mc-max-drawdown-distribution').locator('.recharts-bar-rectangle').first()).toBeVisible();
  await expect(page.getByText(/2,000 runs · Trade-order shuffle · seed 7/)).toBeVisible();

  // Significance: the permutation test's p-value against random entries.
  await page.getByRole('button', { name: 'Run permutation test' }).click();
  await expect(page.getByTestId('significance-p-value'), 'the worker ran 1,000 random-entry runs').toHaveText(/^[01]\.\d{3}$/, { timeout: 30_000 });

  // Price paths: each run re-runs the strategy; the fan is over bar time.
  await form.getByLabel('Method').selectOption('blocks');
  await form.getByLabel('Runs').fill('1000');
  await form.getByRole('button', { name: 'Run Monte Carlo' }).click();
  await expect(page.getByText(/1,000 runs · Price paths \(block bootstrap, re-run\) · blocks of 10 bars/), 'the blocks study completed').toBeVisible({
    timeout: 30_000,
  });
  const [b5, , b95] = (await page.getByTestId('mc-final-return').innerText()).split(' / ');
  expect(b5, 'resampled prices spread the final return').not.toBe(b95);
  const box = await page.getByTestId('fan-chart').boundingBox();
  const viewport = page.viewportSize()!;
  expect(box!.x + box!.width, 'the fan chart fits the screen').toBeLessThanOrEqual(viewport.width + 1);
});
