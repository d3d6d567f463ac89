import { backtestedStrategy } from './price-chart';
import { expect, test, type Page } from './contract';
import postgres from 'postgres';
import { navigate, seedBtcCandles, signInAsNewUser } from './helpers';

test.beforeAll(seedBtcCandles);

/**
 * One number, one value, everywhere (issue #13): the same mark, equity and P&L read from every place that shows
 * them, after a paper replay and a manual order; the equity card ends on the total; the Live badge follows the
 * stream's heartbeat. (The price chart's readout: chart-readout.journey.spec.ts.)
 */

const DEPOSIT = 20_000;

/** A number as the screens write it: "12,345.67", "▲ +1.50", "▼ −3.10", "−2.00". */
function shown(text: string): number {
  const negative = /[−▼-]/.test(text);
  const value = Number(text.replace(/[^\d.]/g, ''));
  return negative ? -value : value;
}

/** A DCA strategy on BTC/USDT 1h (buys every bar), backtested (a deployment needs one); returns its id and the backtest's. */
async function deleteSnapshots(accountId: string): Promise<void> {
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  await sql`delete from equity_snapshots where account_id = ${accountId}`;
  await sql.end();
}

interface PortfolioBody {
  totals: { equity: string; realizedPnl: string; unrealizedPnl: string; pnlToday: string | null; pnlTodayBasis: string | null };
  accounts: Array<{ positions: Array<{ symbol: string; markPrice: string | null; mark: { price: string; kind: string; at: string } | null }> }>;
}

async function paperAccount(page: Page): Promise<string> {
  const account = await page.request.post('/api/v1/accounts', { data: { name: 'Same desk', exchange: 'paper', balances: { USDT: String(DEPOSIT) } } });
  expect(account.status(), await account.text()).toBe(201);
  return ((await account.json()) as { id: string }).id;
}

test('after a paper replay and a manual order, Markets, the ticket, the dashboard and the portfolio show the same mark, equity and P&L', async ({ page }) => {
  test.setTimeout(240_000);
  await signInAsNewUser(page, 'same');
  const accountId = await paperAccount(page);
  const { strategyId } = await backtestedStrategy(page.request);

  // A replay of the last week of stored candles (2021 prices, fills stamped in the feed's time), to its end.
  const deployed = await page.request.post(`/api/v1/strategies/${strategyId}/deployments`, {
    data: { accountId, mode: 'paper', feed: { type: 'replay', start: '2021-03-25T00:00:00Z', speed: 36000 } },
  });
  expect(deployed.status(), await deployed.text()).toBe(201);
  const deploymentId = ((await deployed.json()) as { id: string }).id;
  await expect
    .poll(async () => ((await (await page.request.get(`/api/v1/deployments/${deploymentId}`)).json()) as { state: string }).state, {
      message: 'the replay plays to the last stored candle',
      timeout: 120_000,
    })
    .toBe('completed');

  // The ticket: the mark with its kind and age; then a manual sell of part of what the replay bought.
  await navigate(page, 'Orders');
  const ticket = page.getByRole('form', { name: 'New order' });
  const ticketMark = ticket.getByTestId('mark');
  await expect(ticketMark, 'the ticket quotes the stored candles').toHaveAttribute('data-kind', 'last candle');
  await expect(ticketMark).toContainText(/^mark [\d,]+\.\d{2} · last candle · .+ ago$/);
  const mark = (await ticketMark.getAttribute('data-price'))!;
  expect(Number(mark), 'a BTC price of March 2021').toBeGreaterThan(10_000);
  await expect
    .poll(async () => shown(await page.getByTestId('ticket-last-price').innerText()), { message: "the ticket's last price is the mark" })
    .toBe(Number(mark));
  await expect(page.getByTestId('ticket-last-price')).toHaveText(/^[\d,]+\.\d{2} USDT$/);
  await ticket.getByRole('radio', { name: 'Sell' }).click();
  await ticket.getByLabel('Quantity (BTC)').fill('0.01');
  await ticket.getByRole('button', { name: 'Review order' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Place order' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Order placed' }), 'the manual sell fills at once').toContainText('filled');

  // Markets: the same mark, whatever series the chart shows.
  await navigate(page, 'Markets');
  await page.getByLabel('Exchange').selectOption('binance');
  await page.getByLabel('Timeframe').selectOption('1h');
  await expect(page.getByTestId('mark'), 'Markets shows the mark the ticket quoted').toHaveAttribute('data-price', mark);
  await expect(page.getByTestId('mark')).toContainText('last candle');

  // The portfolio (REST): the position is valued at that mark, and the P&L parts add up to the equity change.
  const portfolio = (await (await page.request.get('/api/v1/portfolio')).json()) as PortfolioBody;
  const position = portfolio.accounts[0]!.positions.find((p) => p.symbol === 'BTC/USDT');
  expect(position?.mark?.price, 'the portfolio values the position at the same mark').toBe(mark);
  expect(position?.markPrice).toBe(mark);
  const { equity, realizedPnl, unrealizedPnl, pnlToday } = portfolio.totals;
  expect(Number(realizedPnl), 'the manual sell realized something').not.toBe(0);
  expect(Number(realizedPnl) + Number(unrealizedPnl), 'realized + unrealized = equity − the deposit').toBeCloseTo(Number(equity) - DEPOSIT, 6);
  expect(Number(pnlToday), 'every fill was booked today (the replay too): P&L today = equity − the deposit made today').toBeCloseTo(
    Number(equity) - DEPOSIT,
    6,
  );

  // The dashboard: the same mark on the position, the same totals, and the equity card ends on the total.
  await deleteSnapshots(accountId);
  await navigate(page, 'Dashboard');
  const row = page.getByTestId('position-row').filter({ hasText: 'BTC/USDT' });
  await expect(row.getByTestId('mark'), 'the dashboard position shows the same mark').toHaveAttribute('data-price', mark);
  await expect(page.getByTestId('total-equity')).toContainText('USDT');
  // The page may first paint a total it cached before the sell; it must settle on what the portfolio says now.
  const readTotals = async () => ((await (await page.request.get('/api/v1/portfolio')).json()) as PortfolioBody).totals;
  await expect
    .poll(async () => Math.abs(shown(await page.getByTestId('total-equity').innerText()) - Number((await readTotals()).equity)), {
      message: 'the dashboard settles on the total equity the portfolio reports',
    })
    .toBeLessThan(0.005);
  const now = await readTotals();
  const onScreen = {
    equity: shown(await page.getByTestId('total-equity').innerText()),
    realized: shown(await page.getByTestId('total-realized').innerText()),
    unrealized: shown(await page.getByTestId('total-unrealized').innerText()),
    today: shown(await page.getByTestId('total-pnl-today').innerText()),
  };
  expect(onScreen.equity, 'total equity as the portfolio says, to the cent').toBeCloseTo(Number(now.equity), 2);
  expect(onScreen.realized).toBeCloseTo(Number(now.realizedPnl), 2);
  expect(onScreen.unrealized).toBeCloseTo(Number(now.unrealizedPnl), 2);
  expect(onScreen.today, 'P&L today as the portfolio says').toBeCloseTo(Number(now.pnlToday), 2);
  expect(Math.abs(onScreen.realized + onScreen.unrealized - onScreen.today), 'the cards add up (each rounded to the cent)').toBeLessThanOrEqual(0.011);
  await expect(page.getByTestId('total-pnl-today-hint'), 'the time basis and the clock are stated').toContainText('since 00:00 UTC, wall clock');

  // The equity card: the total now as its last point, or (with no history yet) the total in words, never a lone dot.
  const curve = page.getByTestId('equity-curve');
  const short = page.getByTestId('equity-curve-short');
  await expect(curve.or(short)).toBeVisible();
  if (await short.isVisible()) {
    expect(Number(await short.getAttribute('data-equity')), 'the short state shows the total').toBeCloseTo(Number(now.equity), 6);
  } else {
    expect(Number(await curve.getAttribute('data-points')), 'a curve has at least two points').toBeGreaterThanOrEqual(2);
    expect(Number(await curve.getAttribute('data-last')), 'the last point is the total equity now').toBeCloseTo(Number(now.equity), 6);
  }
});

test('the Live badge greys out to "Reconnecting…" when the stream goes silent, the figures say they are stale, and it recovers with the next heartbeat', async ({
  page,
}) => {
  await page.clock.install();
  await signInAsNewUser(page, 'beat');
  await paperAccount(page);
  await page.goto('/');
  const badge = page.getByTestId('live-status');
  await expect(badge, 'subscribed').toHaveAttribute('data-status', 'live', { timeout: 15_000 });
  await expect(page.getByTestId('total-equity')).toBeVisible();
  await expect(page.getByTestId('stale-notice')).toHaveCount(0);

  // 30 s pass on the page's clock in an instant: no heartbeat could have come.
  await page.clock.fastForward(30_000);
  await expect(badge, 'silence past the heartbeat interval is not "live"').toHaveAttribute('data-status', 'reconnecting');
  await expect(badge).toHaveText('Reconnecting…');
  await expect(page.getByTestId('stale-notice'), 'the numbers say they may be stale').toContainText('may be stale');

  // The server's next heartbeat (every 10 s of real time) brings it back.
  await expect(badge, 'the next heartbeat').toHaveAttribute('data-status', 'live', { timeout: 20_000 });
  await expect(page.getByTestId('stale-notice')).toHaveCount(0);
});
