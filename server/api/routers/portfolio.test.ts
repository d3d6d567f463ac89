import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equitySnapshots } from '@/db/schema';
import type { ApiKeyScope } from '@/server/services/keys';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { routerCaller } from '@/server/testing/trpc';
import { portfolioRouter } from './portfolio';

/** The procedures through tRPC itself: scopes, input validation and the output schemas against the service's answers. */
const callerFor = routerCaller({ portfolio: portfolioRouter });
let t: TestDatabase;
let userId: string;
let accountId: string;

function caller(scopes: ApiKeyScope[] = ['read']) {
  return callerFor(t.db, userId, { scopes });
}

async function trpcCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof TRPCError ? error.code : `unexpected: ${(error as Error).message}`;
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'trpc-pf', password: 'long enough pw' })).id;
  // Only the valuation currency: its equity needs no price feed.
  accountId = (await createAccount(t.db, userId, { name: 'cash', exchange: 'paper', balances: { USDT: '123.45' } })).id;
  await t.db.insert(equitySnapshots).values({ userId, accountId, time: new Date('2025-06-02T10:00:00Z'), currency: 'USDT', equity: '120' });
});
afterAll(() => t.destroy());

describe('portfolio router', () => {
  it('portfolio.get answers in the shape its output schema declares', async () => {
    const portfolio = await (await caller()).portfolio.get();
    expect(portfolio.totals).toMatchObject({ currency: 'USDT', equity: '123.45', accounts: 1, accountsWithErrors: 0 });
    expect(portfolio.accounts[0]).toMatchObject({ accountId, balances: { USDT: { free: '123.45', used: '0', total: '123.45' } }, positions: [] });
  });

  it('portfolio.equityCurve takes ISO times and returns the snapshots', async () => {
    const curve = await (await caller()).portfolio.equityCurve({ accountId, from: '2025-06-02T09:00:00Z', to: '2025-06-02T11:00:00Z' });
    expect(curve.points).toEqual([{ time: '2025-06-02T10:00:00.000Z', equity: '120' }]);
  });

  it('refuses a key without the read scope, a bad currency, an unknown field, and a range that ends before it starts', async () => {
    expect(await trpcCode((await caller([])).portfolio.get())).toBe('FORBIDDEN');
    expect(await trpcCode((await caller()).portfolio.get({ currency: 'usdt' }))).toBe('BAD_REQUEST');
    expect(await trpcCode((await caller()).portfolio.get({ currency: 'USDT', extra: 1 } as never))).toBe('BAD_REQUEST');
    expect(await trpcCode((await caller()).portfolio.equityCurve({ from: '2025-06-02T11:00:00Z', to: '2025-06-02T09:00:00Z' }))).toBe('BAD_REQUEST');
    expect(await trpcCode((await caller()).portfolio.equityCurve({ accountId: '00000000-0000-4000-8000-000000000000' }))).toBe('NOT_FOUND');
  });
});
