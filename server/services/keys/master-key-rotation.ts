import { eq, isNotNull } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { apiKeys } from '@/db/schema';
import { open, seal } from './secret-box';

/**
 * Part of `npm run keys:rotate-master` (server/services/accounts/rotate.ts): re-seals every worker-issued
 * successor secret still waiting to be fetched (`api_keys.pending_secret`) under `newKey`, in the
 * caller's transaction. The sealed format carries no key version, so each secret is opened with the
 * first of `oldKeys` and `newKey` that authenticates it (a re-run after a crash is safe). A secret no key
 * opens aborts the whole rotation. Returns how many secrets were re-sealed.
 */
export async function resealPendingSecrets(tx: DbOrTx, oldKeys: readonly Buffer[], newKey: Buffer): Promise<number> {
  const rows = await tx.select({ id: apiKeys.id, pendingSecret: apiKeys.pendingSecret }).from(apiKeys).where(isNotNull(apiKeys.pendingSecret)).for('update');
  for (const row of rows) {
    let secret: string | null = null;
    for (const key of [...oldKeys, newKey]) {
      try {
        secret = open(row.pendingSecret!, key, row.id);
        break;
      } catch {
        // not sealed under this key: try the next one
      }
    }
    if (secret === null) throw new Error(`API key ${row.id}: its pending successor secret opens with none of the given master keys; nothing was changed`);
    await tx
      .update(apiKeys)
      .set({ pendingSecret: seal(secret, newKey, row.id) })
      .where(eq(apiKeys.id, row.id));
  }
  return rows.length;
}
