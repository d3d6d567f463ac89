import { count } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { users } from '@/db/schema';
import { registerUser, type PublicUser } from '@/server/services/auth/users';

export const DEMO_USERNAME = 'demo';

/**
 * Seeds the local demo: the demo user, who is the first account and therefore the admin. Does nothing
 * on a database that already has users. Later capabilities add their demo data here.
 */
export async function seedDemo(db: Db, demoPassword: string): Promise<{ created: PublicUser | null }> {
  const [{ value } = { value: 0 }] = await db.select({ value: count() }).from(users);
  if (value > 0) return { created: null };
  const created = await registerUser(db, { username: DEMO_USERNAME, password: demoPassword });
  return { created };
}
