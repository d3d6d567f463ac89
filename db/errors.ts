/**
 * Database failures that mean "not now" rather than "wrong": a timeout, a lock not granted, a deadlock or
 * serialization failure, no free connection, the server unreachable. Requests that meet one answer 503 with
 * Retry-After (server/api/errors.ts); the order path retries the safe ones first (isRetryableConflict).
 */
import { PoolTimeoutError } from './client';

export type UnavailableReason =
  'statement_timeout' | 'lock_timeout' | 'deadlock' | 'serialization' | 'idle_in_transaction_timeout' | 'too_many_connections' | 'pool_timeout' | 'unreachable';

/** PostgreSQL SQLSTATEs → reason. */
const SQLSTATES: Record<string, UnavailableReason> = {
  '57014': 'statement_timeout', // query_canceled: statement_timeout (or a cancel request)
  '55P03': 'lock_timeout', // lock_not_available: lock_timeout, or NOWAIT
  '40P01': 'deadlock', // deadlock_detected
  '40001': 'serialization', // serialization_failure
  '25P03': 'idle_in_transaction_timeout', // idle_in_transaction_session_timeout
  '53300': 'too_many_connections', // too_many_connections
  '57P01': 'unreachable', // admin_shutdown
  '57P03': 'unreachable', // cannot_connect_now (starting up, shutting down)
};

/** postgres.js's own connection failures, and the socket's. */
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

/** The database reason an error (or one of its causes: drizzle wraps driver errors) stands for, or null. */
export function databaseUnavailableReason(error: unknown): UnavailableReason | null {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof PoolTimeoutError) return 'pool_timeout';
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (SQLSTATES[code]) return SQLSTATES[code];
    // postgres.js connection errors carry `errno` equal to `code`; sockets' carry a syscall.
    if (CONNECTION_CODES.has(code) && ('errno' in e || 'syscall' in e)) return 'unreachable';
  }
  return null;
}

/** A deadlock or serialization failure: the transaction was rolled back whole, and running it again is the cure. */
export function isRetryableConflict(error: unknown): boolean {
  const reason = databaseUnavailableReason(error);
  return reason === 'deadlock' || reason === 'serialization';
}

/** What the client is told, and when to try again (seconds). */
export const UNAVAILABLE_ANSWERS: Record<UnavailableReason, { message: string; retryAfterSeconds: number }> = {
  statement_timeout: { message: 'the database did not answer in time (statement timeout); try again in a moment', retryAfterSeconds: 2 },
  lock_timeout: { message: 'the data is busy with another request (lock timeout); try again in a moment', retryAfterSeconds: 1 },
  deadlock: { message: 'the request collided with another one at the same moment; try again', retryAfterSeconds: 1 },
  serialization: { message: 'the request collided with another one at the same moment; try again', retryAfterSeconds: 1 },
  idle_in_transaction_timeout: { message: 'the request took too long inside the database and was rolled back; try again', retryAfterSeconds: 2 },
  too_many_connections: { message: 'the database has no free connection; try again in a moment', retryAfterSeconds: 5 },
  pool_timeout: { message: 'the server is busy: no database connection was free in time; try again in a moment', retryAfterSeconds: 1 },
  unreachable: { message: 'the database is unreachable; try again in a moment', retryAfterSeconds: 5 },
};
