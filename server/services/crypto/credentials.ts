/**
 * Encryption of exchange credentials at rest: AES-256-GCM with a random 96-bit nonce per encryption and
 * associated data binding each ciphertext to its user id and account id, so a ciphertext copied into
 * another row (or another user's) fails authentication instead of decrypting.
 *
 * The master key is 32 bytes (CRYPTOBOT_MASTER_KEY, base64). Each row stores the key version that
 * encrypted it: a fingerprint of the key (not the key, not reversible), so a row encrypted under
 * another key is reported as such instead of as tampering. See docs/accounts.md for rotation.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface ExchangeCredentialsPlain {
  apiKey: string;
  secret: string;
  password?: string;
}

export interface EncryptedCredentials {
  /** base64, 12 bytes */
  nonce: string;
  /** base64 of ciphertext || 16-byte tag */
  ciphertext: string;
  keyVersion: string;
}

export interface MasterKey {
  key: Buffer;
  version: string;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const AAD_PREFIX = 'cryptobot/exchange-credentials/v1';

export class CredentialsDecryptionError extends Error {
  override readonly name = 'CredentialsDecryptionError';
}

/** A master key from its base64 form; throws (without echoing it) unless it is exactly 32 bytes. */
export function parseMasterKey(base64: string | undefined, variable = 'CRYPTOBOT_MASTER_KEY'): MasterKey {
  const key = base64 ? Buffer.from(base64, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) throw new Error(`${variable} must be 32 bytes, base64-encoded (e.g. \`openssl rand -base64 32\`)`);
  return { key, version: keyVersionOf(key) };
}

/** "k1-" + 16 hex digits of sha256 over a domain-separated copy of the key: identifies it, reveals nothing usable. */
export function keyVersionOf(key: Buffer): string {
  return `k1-${createHash('sha256').update('cryptobot/master-key-version/v1').update(key).digest('hex').slice(0, 16)}`;
}

function associatedData(userId: string, accountId: string): Buffer {
  return Buffer.from(JSON.stringify([AAD_PREFIX, userId, accountId]), 'utf8');
}

export function encryptCredentials(
  master: MasterKey,
  binding: { userId: string; accountId: string },
  credentials: ExchangeCredentialsPlain,
): EncryptedCredentials {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', master.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(binding.userId, binding.accountId));
  const plaintext = Buffer.from(
    JSON.stringify({ apiKey: credentials.apiKey, secret: credentials.secret, ...(credentials.password ? { password: credentials.password } : {}) }),
    'utf8',
  );
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  plaintext.fill(0);
  return { nonce: nonce.toString('base64'), ciphertext: ciphertext.toString('base64'), keyVersion: master.version };
}

/**
 * Decrypts with whichever of `keys` matches the row's key version. Any tampering (a changed byte, a
 * nonce or ciphertext moved from another row, a different user or account id) fails with
 * CredentialsDecryptionError; the message never contains key material or plaintext.
 */
export function decryptCredentials(
  keys: readonly MasterKey[],
  binding: { userId: string; accountId: string },
  encrypted: EncryptedCredentials,
): ExchangeCredentialsPlain {
  const master = keys.find((k) => k.version === encrypted.keyVersion);
  if (!master)
    throw new CredentialsDecryptionError(
      `the credentials were encrypted with master key ${encrypted.keyVersion}, which is not configured (finish the key rotation, see docs/accounts.md)`,
    );
  const nonce = Buffer.from(encrypted.nonce, 'base64');
  const data = Buffer.from(encrypted.ciphertext, 'base64');
  if (nonce.length !== NONCE_BYTES || data.length <= TAG_BYTES) throw new CredentialsDecryptionError('the stored credentials are malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', master.key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(binding.userId, binding.accountId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plaintext = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
    const parsed = JSON.parse(plaintext.toString('utf8')) as ExchangeCredentialsPlain;
    plaintext.fill(0);
    return parsed;
  } catch {
    throw new CredentialsDecryptionError('the stored credentials failed authentication (tampered, or not encrypted for this account)');
  }
}
