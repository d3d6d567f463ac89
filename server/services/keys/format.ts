import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * The API key format: `cb_<keyId>_<secret><checksum>`
 *   keyId     16 base62 characters, public, the database lookup key (shown as the prefix `cb_<keyId>`)
 *   secret    32 base62 characters (~190 bits), only its sha256 is stored
 *   checksum  6 base62 characters: CRC32 of everything before it, so a typo or a truncated key is refused
 *             without touching the database (and secret scanners can recognise real keys).
 */
export const KEY_PREFIX = 'cb_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_ID_LENGTH = 16;
const SECRET_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const KEY_PATTERN = new RegExp(`^cb_([0-9A-Za-z]{${KEY_ID_LENGTH}})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`);

function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE), as used by zip and zlib. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export interface GeneratedKey {
  /** The whole key, to hand to its holder once. */
  key: string;
  keyId: string;
  secretHash: string;
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export function generateKey(): GeneratedKey {
  const { keyId, secret, secretHash } = generateKeyParts();
  return { key: assembleKey(keyId, secret), keyId, secretHash };
}

/** Rebuilds the whole key from its id and secret (for a successor whose secret was stored encrypted). */
export function assembleKey(keyId: string, secret: string): string {
  const body = `${KEY_PREFIX}${keyId}_${secret}`;
  return body + checksum(body);
}

export function generateKeyParts(): { keyId: string; secret: string; secretHash: string } {
  const keyId = randomBase62(KEY_ID_LENGTH);
  const secret = randomBase62(SECRET_LENGTH);
  return { keyId, secret, secretHash: hashSecret(secret) };
}

/** True when the bearer credential claims to be an API key (rather than a JWT access token). */
export const looksLikeApiKey = (credential: string): boolean => credential.startsWith(KEY_PREFIX);

/** The key's id and secret when it is well-formed and its checksum matches; null otherwise. No I/O. */
export function parseKey(key: string): { keyId: string; secret: string } | null {
  const match = KEY_PATTERN.exec(key);
  if (!match) return null;
  const [, keyId, secret, sum] = match as unknown as [string, string, string, string];
  if (checksum(`${KEY_PREFIX}${keyId}_${secret}`) !== sum) return null;
  return { keyId, secret };
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export const displayPrefix = (keyId: string): string => `${KEY_PREFIX}${keyId}`;
