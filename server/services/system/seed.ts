import { count, eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { users } from '@/db/schema';
import { createAccount, listAccounts } from '@/server/services/accounts/accounts';
import { PAPER_EXCHANGE } from '@/server/services/accounts/exchanges';
import { registerUser, type PublicUser } from '@/server/services/auth/users';
import { seedDemoMarketData, type MarketDataSeedResult } from '@/server/services/market-data/seed';

export const DEMO_USERNAME = 'demo';
export const DEMO_PAPER_ACCOUNT = 'Paper 10k';
/** The demo's paper money: this much USDT and, when the seeded market quotes in another currency, of that too. */
export const DEMO_PAPER_BALANCE = '10000';

export type DemoSeedOptions = NonNullable<Parameters<typeof seedDemoMarketData>[1]>;

/**
 * Seeds the local demo: the demo user, who is the first account and therefore the admin (only on a
 * database without users), with a paper account "Paper 10k" so a first order or deployment has
 * somewhere to go. Market data: BTC/USDT 1h for the last year, only when no candle is stored (see
 * market-data/seed.ts); the forms default to a stored series, so the seeded one is their default.
 */
export async function seedDemo(
  db: Db,
  demoPassword: string,
  options: DemoSeedOptions = {},
): Promise<{ created: PublicUser | null; marketData: MarketDataSeedResult; paperAccount: string | null }> {
  const [{ value } = { value: 0 }] = await db.select({ value: count() }).from(users);
  const created = value > 0 ? null : await registerUser(db, { username: DEMO_USERNAME, password: demoPassword });
  // Independent of the user: a database from before market data existed gets its demo candles too.
  const marketData = await seedDemoMarketData(db, options);
  let paperAccount: string | null = null;
  if (created && (await listAccounts(db, created.id)).length === 0) {
    const quote = marketData.key?.symbol.split('/')[1] ?? 'USDT';
    const account = await createAccount(db, created.id, {
      name: DEMO_PAPER_ACCOUNT,
      exchange: PAPER_EXCHANGE,
      balances: { USDT: DEMO_PAPER_BALANCE, [quote]: DEMO_PAPER_BALANCE },
    });
    paperAccount = account.name;
  }
  return { created, marketData, paperAccount };
}

/** Whether the demo login exists here (seeded by `npm start` on its embedded database), for the login page's hint. */
export async function demoUserExists(db: DbOrTx): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.username, DEMO_USERNAME)).limit(1);
  return row !== undefined;
}
