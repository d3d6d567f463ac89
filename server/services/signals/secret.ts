/**
 * A signal deployment's webhook secret: 32 random bytes (base64url, 43 characters) shown to its owner once, when made
 * or rotated; only its sha256 is stored (signal_secrets). Rotating replaces it at once: the old secret stops working.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { signalSecrets } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { recordAudit } from '@/server/services/audit';
import { findOwnedDeployment } from '@/server/services/deployments/deployments';

export const SIGNAL_SECRET_PREFIX_LENGTH = 6;

export const hashSignalSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Constant-time comparison of a presented secret with the stored hash. */
export function signalSecretMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(hashSignalSecret(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Makes (or replaces) the deployment's signal secret and returns it: the only time it is shown. */
export async function rotateSignalSecret(db: DbOrTx, userId: string, deploymentId: string): Promise<{ secret: string; prefix: string; createdAt: string }> {
  const row = await findOwnedDeployment(db, userId, deploymentId);
  if (!isSignalStrategyType(row.strategy.type))
    throw new AppError('CONFLICT', `this deployment trades its ${row.strategy.type} strategy: only a signal deployment takes signals`);
  const secret = randomBytes(32).toString('base64url');
  const prefix = secret.slice(0, SIGNAL_SECRET_PREFIX_LENGTH);
  const now = new Date();
  await db
    .insert(signalSecrets)
    .values({ deploymentId, userId, secretHash: hashSignalSecret(secret), prefix, createdAt: now })
    .onConflictDoUpdate({ target: signalSecrets.deploymentId, set: { secretHash: hashSignalSecret(secret), prefix, createdAt: now } });
  await recordAudit(db, { type: 'signal.secret_rotated', userId, details: { deploymentId } });
  return { secret, prefix, createdAt: now.toISOString() };
}

/** The secret's public part (prefix and age), or null when none was made yet. */
export async function signalSecretInfo(db: DbOrTx, deploymentId: string): Promise<{ prefix: string; createdAt: string } | null> {
  const [row] = await db
    .select({ prefix: signalSecrets.prefix, createdAt: signalSecrets.createdAt })
    .from(signalSecrets)
    .where(eq(signalSecrets.deploymentId, deploymentId));
  return row ? { prefix: row.prefix, createdAt: row.createdAt.toISOString() } : null;
}
