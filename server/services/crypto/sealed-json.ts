/**
 * Encryption at rest of a small secret JSON value other than exchange credentials (a notification channel's bot
 * token or webhook URL and secret): the same scheme as credentials.ts — AES-256-GCM, a random 96-bit nonce, the
 * master key's version stored beside — with associated data naming its purpose and the row, so a ciphertext moved
 * to another row, user or purpose fails authentication.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CredentialsDecryptionError, type EncryptedCredentials, type MasterKey } from './credentials';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function associatedData(purpose: string, binding: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify([`cryptobot/${purpose}/v1`, ...binding]), 'utf8');
}

export function sealJson(master: MasterKey, purpose: string, binding: readonly string[], value: unknown): EncryptedCredentials {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', master.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(purpose, binding));
  const plaintext = Buffer.from(JSON.stringify(value), 'utf8');
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  plaintext.fill(0);
  return { nonce: nonce.toString('base64'), ciphertext: ciphertext.toString('base64'), keyVersion: master.version };
}

/** The value, or CredentialsDecryptionError (never with key material or plaintext in its message). */
export function openJson(keys: readonly MasterKey[], purpose: string, binding: readonly string[], sealed: EncryptedCredentials): unknown {
  const master = keys.find((k) => k.version === sealed.keyVersion);
  if (!master) throw new CredentialsDecryptionError(`the secret was encrypted with master key ${sealed.keyVersion}, which is not configured`);
  const nonce = Buffer.from(sealed.nonce, 'base64');
  const data = Buffer.from(sealed.ciphertext, 'base64');
  if (nonce.length !== NONCE_BYTES || data.length <= TAG_BYTES) throw new CredentialsDecryptionError('the stored secret is malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', master.key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(purpose, binding));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plaintext = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
    const value: unknown = JSON.parse(plaintext.toString('utf8'));
    plaintext.fill(0);
    return value;
  } catch {
    throw new CredentialsDecryptionError('the stored secret failed authentication (tampered, or not encrypted for this row)');
  }
}
