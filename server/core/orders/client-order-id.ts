/**
 * clientOrderIds: written to Postgres before the exchange call, so a retried or resumed send carries the
 * same id and the exchange refuses a second copy instead of placing it twice.
 *
 * Format: alphanumerics only, at most 32 characters — inside Binance's ^[a-zA-Z0-9-_]{1,36}$ and OKX's
 * "up to 32 alphanumerics", the strictest of the common ccxt exchanges.
 * - Strategy orders: "cb" + 30 hex chars of sha256 over (deployment, bar, intent, attempt): 120 bits.
 * - Manual orders: "cbm" + a ULID (26 Crockford base32 chars: 48-bit ms time + 80 random bits).
 */
import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../money/errors';

export const CLIENT_ORDER_ID_PATTERN = /^[a-zA-Z0-9]{1,32}$/;

/** Why a strategy places an order on a bar; two intents on the same bar get different ids. */
export const ORDER_INTENTS = ['enter', 'exit', 'stop_loss', 'take_profit', 'trailing_stop', 'close'] as const;
export type OrderIntent = (typeof ORDER_INTENTS)[number];

export interface ClientOrderIdInput {
  deploymentId: string;
  /** Open time of the bar that decided the order, ms since epoch, UTC. */
  barTimeMs: number;
  intent: OrderIntent;
  /**
   * 0 for the first order of this intent on this bar; raise it only for a *new* order after the previous
   * one is settled (e.g. rejected), never to retry a send (a retry must reuse the id).
   */
  attempt?: number;
}

/** Same input → same id, on any worker, after any restart; different input → a different id. */
export function deriveClientOrderId(input: ClientOrderIdInput): string {
  const { deploymentId, barTimeMs, intent, attempt = 0 } = input;
  if (deploymentId.length === 0) throw new DomainError('deploymentId', 'must not be empty');
  if (!Number.isSafeInteger(barTimeMs) || barTimeMs < 0) {
    throw new DomainError('barTimeMs', 'must be a non-negative integer (ms since epoch)');
  }
  if (!ORDER_INTENTS.includes(intent)) throw new DomainError('intent', `must be one of ${ORDER_INTENTS.join(', ')}`);
  if (!Number.isSafeInteger(attempt) || attempt < 0) throw new DomainError('attempt', 'must be a non-negative integer');
  // JSON encoding keeps the fields apart: ("a-1", 2) and ("a", "1-2") cannot hash the same input.
  const material = JSON.stringify(['cryptobot/client-order-id/v1', deploymentId, barTimeMs, intent, attempt]);
  return `cb${createHash('sha256').update(material).digest('hex').slice(0, 30)}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 10 chars of time (ms) then 16 chars from 80 random bits; sorts by creation time. */
export function ulid(nowMs: number = Date.now(), random: (size: number) => Uint8Array = randomBytes): string {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs > 2 ** 48 - 1) {
    throw new DomainError('nowMs', 'must be an integer within 48 bits');
  }
  let time = '';
  let remaining = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[remaining % 32]! + time;
    remaining = Math.floor(remaining / 32);
  }
  const bytes = random(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let randomPart = '';
  for (let i = 0; i < 16; i++) {
    randomPart = CROCKFORD[Number(bits & 31n)]! + randomPart;
    bits >>= 5n;
  }
  return time + randomPart;
}

/** A clientOrderId for a manual order (one per submitted form, generated once and reused on retry). */
export function manualClientOrderId(nowMs?: number, random?: (size: number) => Uint8Array): string {
  return `cbm${ulid(nowMs, random)}`;
}
