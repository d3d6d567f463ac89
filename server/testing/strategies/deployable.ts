/**
 * A strategy ready to deploy, for tests: created as a user would create it, then marked `backtested` directly (a
 * deployment needs a strategy that was backtested or paper traded before; the tests that use this are about what
 * happens after, not about the lifecycle that gets it there).
 */
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { strategies } from '@/db/schema';
import { createStrategyForUser, type CreateStrategyInput } from '@/server/services/strategies/strategies';
import type { StrategyView } from '@/server/services/strategies/views';

export async function createDeployableStrategy(db: DbOrTx, userId: string, input: CreateStrategyInput): Promise<StrategyView> {
  const strategy = await createStrategyForUser(db, userId, input);
  await db.update(strategies).set({ status: 'backtested' }).where(eq(strategies.id, strategy.id));
  return { ...strategy, status: 'backtested' };
}
