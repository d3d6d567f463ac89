import { eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { notificationChannels } from '@/db/schema';
import { openJson, sealJson, type MasterKey } from '@/server/services/crypto';

/** The purpose bound into a channel configuration's ciphertext (server/services/crypto/sealed-json.ts). */
export const CHANNEL_CONFIG_PURPOSE = 'notification-channel';

/**
 * Re-encrypts every notification channel's configuration under `newKey` (the master key rotation, beside exchange
 * credentials: server/services/accounts/rotate.ts), in the caller's transaction. A channel that cannot be decrypted
 * with `keys` throws, naming it, so the caller's whole rotation rolls back.
 */
export async function resealNotificationChannels(tx: DbOrTx, keys: readonly MasterKey[], newKey: MasterKey): Promise<number> {
  const rows = await tx.select().from(notificationChannels).for('update');
  for (const row of rows) {
    const binding = [row.userId, row.id];
    let config: unknown;
    try {
      config = openJson(keys, CHANNEL_CONFIG_PURPOSE, binding, { nonce: row.configNonce, ciphertext: row.configCiphertext, keyVersion: row.configKeyVersion });
    } catch (error) {
      throw new Error(`notification channel ${row.id}: ${(error as Error).message}; nothing was changed`);
    }
    const sealed = sealJson(newKey, CHANNEL_CONFIG_PURPOSE, binding, config);
    await tx
      .update(notificationChannels)
      .set({ configNonce: sealed.nonce, configCiphertext: sealed.ciphertext, configKeyVersion: sealed.keyVersion })
      .where(eq(notificationChannels.id, row.id));
  }
  return rows.length;
}
