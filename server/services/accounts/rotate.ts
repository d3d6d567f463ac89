import { eq, isNotNull } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { exchangeAccounts } from '@/db/schema';
import { recordAudit } from '@/server/services/audit';
import { decryptCredentials, encryptCredentials, type MasterKey } from '@/server/services/crypto';
import { resealPendingSecrets } from '@/server/services/keys/master-key-rotation';
import { resealNotificationChannels } from '@/server/services/notifications/reseal';

export interface RotationResult {
  /** Rows re-encrypted under the new key. */
  rotated: number;
  /** API-key successor secrets waiting to be fetched, re-sealed under the new key. */
  resealedKeySecrets: number;
  /** Notification channels' configurations re-encrypted under the new key. */
  notificationChannels: number;
  fromVersions: string[];
  toVersion: string;
}

/**
 * Re-encrypts every account's credentials under `newKey`, in ONE transaction: either every row moves
 * to the new key or none does (a row that cannot be decrypted with `oldKeys` aborts the whole run).
 * Rows already under the new key are re-encrypted too (fresh nonce), so a re-run after a crash is safe.
 * The pending secrets of worker-issued API-key successors and the notification channels' configurations move to the
 * new key in the same transaction.
 */
export async function rotateMasterKey(db: Db, oldKeys: readonly MasterKey[], newKey: MasterKey): Promise<RotationResult> {
  const keys = [...oldKeys, newKey];
  return db.transaction(async (tx) => {
    const rows = await tx.select().from(exchangeAccounts).where(isNotNull(exchangeAccounts.credentialsCiphertext)).for('update');
    const fromVersions = new Set<string>();
    for (const row of rows) {
      const binding = { userId: row.userId, accountId: row.id };
      fromVersions.add(row.credentialsKeyVersion ?? '(none)');
      let plain;
      try {
        plain = decryptCredentials(keys, binding, {
          nonce: row.credentialsNonce ?? '',
          ciphertext: row.credentialsCiphertext ?? '',
          keyVersion: row.credentialsKeyVersion ?? '',
        });
      } catch (error) {
        throw new Error(`account ${row.id}: ${(error as Error).message}; nothing was changed`);
      }
      const encrypted = encryptCredentials(newKey, binding, plain);
      await tx
        .update(exchangeAccounts)
        .set({ credentialsNonce: encrypted.nonce, credentialsCiphertext: encrypted.ciphertext, credentialsKeyVersion: encrypted.keyVersion })
        .where(eq(exchangeAccounts.id, row.id));
    }
    const resealedKeySecrets = await resealPendingSecrets(
      tx,
      oldKeys.map((k) => k.key),
      newKey.key,
    );
    const channels = await resealNotificationChannels(tx, keys, newKey);
    await recordAudit(tx, {
      type: 'exchange_account.credentials_reencrypted',
      details: { rotated: rows.length, resealedKeySecrets, notificationChannels: channels, fromVersions: [...fromVersions], toVersion: newKey.version },
    });
    return { rotated: rows.length, resealedKeySecrets, notificationChannels: channels, fromVersions: [...fromVersions], toVersion: newKey.version };
  });
}
