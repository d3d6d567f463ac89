import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM under CRYPTOBOT_MASTER_KEY, for a worker-issued successor's secret while it waits to be
 * fetched. The associated data binds a ciphertext to its row, so it cannot be moved to another key.
 * Format: `v1:<iv b64>:<tag b64>:<ciphertext b64>`.
 */
export function masterKeyFrom(base64: string | undefined): Buffer {
  const key = Buffer.from(base64 ?? '', 'base64');
  if (key.length !== 32) throw new Error('CRYPTOBOT_MASTER_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)');
  return key;
}

export function seal(plaintext: string, masterKey: Buffer, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
}

export function open(sealed: string, masterKey: Buffer, associatedData: string): string {
  const [version, ivB64, tagB64, ctB64] = sealed.split(':');
  if (version !== 'v1' || !ivB64 || !tagB64 || ctB64 === undefined) throw new Error('unknown sealed secret format');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(ivB64, 'base64'));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(Buffer.from(tagB64, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(ctB64, 'base64')), decipher.final()]).toString('utf8');
}
