import { count, eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { users } from '@/db/schema';
import { registerUser, type PublicUser } from '@/server/services/auth/users';
import { seedDemoMarketData, type MarketDataSeedResult } from '@/server/services/market-data/seed';

export const DEMO_USERNAME = 'demo';

/**
 * Seeds the local demo: the demo user, who is the first account and therefore the admin (only on a
 * database without users). Later capabilities add their demo data here.
 * Market data: BTC/USDT 1h for the last year, only when no candle is stored (see market-data/seed.ts).
 */
export async function seedDemo(db: Db, demoPassword: string): Promise<{ created: PublicUser | null; marketData: MarketDataSeedResult }> {
  const [{ value } = { value: 0 }] = await db.select({ value: count() }).from(users);
  const created = value > 0 ? null : await registerUser(db, { username: DEMO_USERNAME, password: demoPassword });
  // Independent of the user: a database from before market data existed gets its demo candles too.
  const marketData = await seedDemoMarketData(db);
  return { created, marketData };
}

/** Whether the demo login exists here (seeded by `npm start` on its embedded database), for the login page's hint. */
export async function demoUserExists(db: DbOrTx): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.username, DEMO_USERNAME)).limit(1);
  return row !== undefined;
}
