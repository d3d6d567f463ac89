import { expect, test } from './contract';
import postgres from 'postgres';
import { registerAndToken } from './helpers';

/**
 * Issue 12, item 1, against the production build: a burst of concurrent REST market buys on a NEW paper account that
 * holds only USDT (every order a first order in its asset) once hung the whole app, health and sign-in included,
 * until a restart. Now every order is answered (201, or 503 with Retry-After when the database cannot serve it in
 * time), /api/health answers 200 while the burst runs, and the balances equal the fills afterwards.
 */
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const BURST = 30;

test('a burst of concurrent market buys on a new paper account: every order answered, health answers throughout', async ({ request }) => {
  test.setTimeout(240_000);
  const { accessToken } = await registerAndToken(request, 'burst');
  const created = await request.post('/api/v1/accounts', {
    headers: bearer(accessToken),
    data: { name: 'Burst paper', exchange: 'paper', balances: { USDT: '1000000' } },
  });
  expect(created.status(), await created.text()).toBe(201);
  const accountId = ((await created.json()) as { id: string }).id;

  // Three assets the account does not hold yet: each order's first attempt finds a balance row missing.
  const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
  const orders = Array.from({ length: BURST }, (_, i) =>
    request.post('/api/v1/orders', {
      headers: bearer(accessToken),
      data: { accountId, symbol: symbols[i % symbols.length], side: 'buy', type: 'market', quantity: '0.01' },
      timeout: 60_000,
    }),
  );
  let settled = false;
  const all = Promise.all(orders).finally(() => (settled = true));
  const health: number[] = [];
  while (!settled) {
    // A generous watchdog (a hang fails it), not a timing assertion: a loaded CI machine may answer slowly.
    const response = await request.get('/api/health', { timeout: 60_000 });
    health.push(response.status());
  }
  const responses = await all;
  expect(health.length, 'health was asked during the burst').toBeGreaterThan(0);
  expect(
    health.every((status) => status === 200),
    `health answered 200 throughout: ${health.join(',')}`,
  ).toBe(true);

  for (const response of responses) {
    const status = response.status();
    expect([201, 503], `an order answered ${status}: ${await response.text()}`).toContain(status);
    if (status === 503) expect(Number(response.headers()['retry-after']), 'a 503 says when to try again').toBeGreaterThan(0);
  }
  expect(responses.filter((r) => r.status() === 201).length, 'most orders go through').toBeGreaterThan(BURST / 2);

  // Balances = the deposit + the fills, recomputed from the fills table.
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ asset: string; expected: string; actual: string | null }[]>`
      with moves(asset, amount) as (
        select split_part(o.symbol, '/', 1), f.quantity from fills f join orders o on o.id = f.order_id where f.account_id = ${accountId}
        union all
        select split_part(o.symbol, '/', 2), -(f.quantity * f.price) - f.fee from fills f join orders o on o.id = f.order_id where f.account_id = ${accountId}
        union all select 'USDT', 1000000::numeric)
      select m.asset, sum(m.amount)::text as expected, (select (free + used)::text from paper_balances b where b.account_id = ${accountId} and b.asset = m.asset) as actual
        from moves m group by m.asset`;
    for (const row of rows) expect(Number(row.actual), `${row.asset}: balance = deposit + fills`).toBeCloseTo(Number(row.expected), 8);
    expect(rows.length, 'USDT and the three assets bought').toBe(4);
  } finally {
    await sql.end();
  }
});
