import { expect, test } from './contract';
import postgres from 'postgres';
import { registerAndToken } from './helpers';

/**
 * GET /api/v1/portfolio over REST with a bearer token: a paper account, one market order placed through
 * REST, and the numbers the portfolio must show for it (docs/portfolio.md).
 */
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * A market of our own: one stored 1h candle of a symbol no other test uses, so the paper price source
 * (stored candles first) prices it at exactly 200, whatever else the run stores.
 */
async function seedMarket(symbol: string, close: number): Promise<void> {
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  const time = Date.parse('2024-01-01T00:00:00Z');
  await sql`insert into candles (exchange, symbol, timeframe, time, open, high, low, close, volume)
    values ('binance', ${symbol}, '1h', ${time}, ${close}, ${close}, ${close}, ${close}, 1) on conflict do nothing`;
  await sql.end();
}

test.describe('REST portfolio', () => {
  test('a paper account with one filled order: balances, position, equity and P&L as exact decimal strings', async ({ request }) => {
    const symbol = `PF${Date.now().toString(36).toUpperCase()}/USDT`;
    await seedMarket(symbol, 200);
    const { accessToken } = await registerAndToken(request, 'portfolio');

    const created = await request.post('/api/v1/accounts', {
      headers: bearer(accessToken),
      data: { name: 'Portfolio paper', exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' },
    });
    expect(created.status(), await created.text()).toBe(201);
    const accountId = ((await created.json()) as { id: string }).id;

    const empty = await request.get('/api/v1/portfolio', { headers: bearer(accessToken) });
    expect(empty.status()).toBe(200);
    expect((await empty.json()).accounts[0], 'before any order: the deposit, nothing else').toMatchObject({
      accountId,
      equity: '10000',
      positions: [],
      realizedPnl: '0',
      unrealizedPnl: '0',
    });

    const placed = await request.post('/api/v1/orders', {
      headers: bearer(accessToken),
      data: { accountId, symbol, side: 'buy', type: 'market', quantity: '0.5' },
    });
    expect(placed.status(), await placed.text()).toBe(201);
    expect(await placed.json(), '200 × (1 + 0.0005), fee 0.001 × 200.1 × 0.5').toMatchObject({
      status: 'filled',
      averagePrice: '200.1',
      fees: { USDT: '0.10005' },
    });

    const response = await request.get('/api/v1/portfolio', { headers: bearer(accessToken) });
    expect(response.status()).toBe(200);
    expect(response.headers()['cache-control']).toBe('no-store');
    const portfolio = await response.json();
    const base = symbol.split('/')[0]!;
    // Paid 0.5 × 200.1 + 0.10005 = 100.15005; USDT left 9899.84995. Marked at 200: worth 100.
    expect(portfolio.accounts, 'one account, valued in USDT').toEqual([
      {
        accountId,
        name: 'Portfolio paper',
        exchange: 'paper',
        kind: 'paper',
        currency: 'USDT',
        balances: { [base]: { free: '0.5', used: '0', total: '0.5' }, USDT: { free: '9899.84995', used: '0', total: '9899.84995' } },
        positions: [
          {
            symbol,
            baseCurrency: base,
            quoteCurrency: 'USDT',
            quantity: '0.5',
            costBasis: '100.15005',
            averageEntryPrice: '200.3001',
            markPrice: '200',
            markSource: 'stored candles (binance 1h)',
            mark: { symbol, price: '200', kind: 'last candle', source: 'stored candles (binance 1h)', at: expect.any(String) },
            marketValue: '100',
            unrealizedPnl: '-0.15005',
            realizedPnl: '0',
            untrackedQuantitySold: '0',
            excludedFees: {},
            // A paper market of a coin the simulated market does not know: precision unknown, significant digits.
            priceTick: null,
            amountStep: null,
          },
        ],
        equity: '9999.84995',
        realizedPnl: '0',
        unrealizedPnl: '-0.15005',
        // No snapshot before today's 00:00 for an account opened today: realized today + unrealized change.
        pnlToday: '-0.15005',
        pnlTodayBasis: 'fills',
        unpricedAssets: [],
        error: null,
      },
    ]);
    expect(portfolio.totals).toEqual({
      currency: 'USDT',
      equity: '9999.84995',
      realizedPnl: '0',
      unrealizedPnl: '-0.15005',
      pnlToday: '-0.15005',
      pnlTodayBasis: 'fills',
      accounts: 1,
      accountsWithErrors: 0,
    });
    expect(portfolio.dayStart, '00:00 UTC of asOf').toBe(`${portfolio.asOf.slice(0, 10)}T00:00:00.000Z`);

    const curve = await request.get(`/api/v1/portfolio/equity?accountId=${accountId}`, { headers: bearer(accessToken) });
    expect(curve.status()).toBe(200);
    expect(await curve.json(), 'the equity curve of the last 30 days in hourly buckets').toMatchObject({
      accountId,
      currency: 'USDT',
      stepSeconds: 3600,
      points: expect.any(Array),
    });
  });

  test('401 without a token; 422 for a bad query; another user sees none of it', async ({ request }) => {
    const anonymous = await request.get('/api/v1/portfolio');
    expect(anonymous.status()).toBe(401);
    expect((await anonymous.json()).error.code).toBe('UNAUTHORIZED');

    const owner = await registerAndToken(request, 'pf-owner');
    const created = await request.post('/api/v1/accounts', {
      headers: bearer(owner.accessToken),
      data: { name: 'mine', exchange: 'paper', balances: { USDT: '10' } },
    });
    const accountId = ((await created.json()) as { id: string }).id;

    const badCurrency = await request.get('/api/v1/portfolio?currency=usdt!', { headers: bearer(owner.accessToken) });
    expect(badCurrency.status(), 'a currency is an asset code').toBe(422);
    expect((await badCurrency.json()).error.details.fields[0].field).toBe('currency');
    const unknownParam = await request.get('/api/v1/portfolio?acount=1', { headers: bearer(owner.accessToken) });
    expect(unknownParam.status(), 'a misspelt parameter is refused, not ignored').toBe(422);
    const backwards = await request.get('/api/v1/portfolio/equity?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z', { headers: bearer(owner.accessToken) });
    expect(backwards.status()).toBe(422);

    const other = await registerAndToken(request, 'pf-other');
    const theirs = await request.get('/api/v1/portfolio', { headers: bearer(other.accessToken) });
    expect(theirs.status()).toBe(200);
    expect((await theirs.json()).accounts, "no account of the owner's").toEqual([]);
    const theirCurve = await request.get(`/api/v1/portfolio/equity?accountId=${accountId}`, { headers: bearer(other.accessToken) });
    expect(theirCurve.status(), "the owner's account is not found for anyone else").toBe(404);
  });
});
