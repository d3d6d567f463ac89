import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { getEnv } from '@/server/env';
import { createAccount } from '@/server/services/accounts';
import { issueTokenPair } from '@/server/services/auth/tokens';
import { findUserById, registerUser } from '@/server/services/auth/users';
import { POST as trpc } from '../../trpc/[trpc]/route';
import { POST as placeOrder } from './route';

// The web pool of this file waits at most 300 ms for a row lock (read when the pool is first made, below).
process.env.DATABASE_LOCK_TIMEOUT_MS = '300';

/**
 * A request that cannot finish answers 503 with Retry-After and a clear message, over REST and tRPC, instead of
 * waiting without end: here an order whose account's balance rows another transaction holds locked.
 */
let token: string;
let accountId: string;

beforeAll(async () => {
  const { db } = getDatabase();
  const user = await registerUser(db, { username: `locked-${Date.now().toString(36)}`, password: 'long enough pw' });
  token = (await issueTokenPair(db, (await findUserById(db, user.id))!, { secret: getEnv().NEXTAUTH_SECRET, refreshTokenTtlDays: 1 })).accessToken;
  accountId = (await createAccount(db, user.id, { name: 'Paper', exchange: 'paper', balances: { USDT: '10000', BTC: '1' } })).id;
});
afterAll(() => getDatabase().close());

const order = { symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.001' };
const restOrder = () =>
  placeOrder(
    new Request('http://localhost/api/v1/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...order, accountId }),
    }),
  );
const trpcOrder = () =>
  trpc(
    new Request('http://localhost/api/trpc/orders.place', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ json: { ...order, accountId } }),
    }),
  );

/** Holds the account's balance rows locked (FOR UPDATE) in a transaction of another process's pool until released. */
async function holdBalanceLocks(): Promise<() => Promise<void>> {
  const { createDatabase } = await import('@/db/client');
  const other = createDatabase(process.env.DATABASE_URL!, { max: 1, applicationName: 'cryptobot-test-lock-holder' });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = other.db.transaction(async (tx) => {
    await tx.execute(sql`select * from paper_balances where account_id = ${accountId} for update`);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await holder;
    await other.close();
  };
}

describe('an order that cannot get its locks', () => {
  it('REST: 503 with Retry-After and a message saying to try again; once the lock is gone, it goes through', async () => {
    const release = await holdBalanceLocks();
    try {
      const response = await restOrder();
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('UNAVAILABLE');
      expect(body.error.message).toMatch(/try again/);
    } finally {
      await release();
    }
    expect((await restOrder()).status, 'the next try goes through').toBe(201);
  }, 30_000);

  it('tRPC: SERVICE_UNAVAILABLE (503) with Retry-After', async () => {
    const release = await holdBalanceLocks();
    try {
      const response = await trpcOrder();
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await response.text()).toMatch(/try again/);
    } finally {
      await release();
    }
    expect((await trpcOrder()).status).toBe(200);
  }, 30_000);
});
