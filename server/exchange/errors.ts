/**
 * One error type for everything that goes wrong talking to an exchange, sorted by what the caller
 * should do about it:
 * - `retryable`: nothing happened (network, timeout on a read, rate limit, maintenance, clock skew); try later.
 * - `ambiguous`: an order may or may not exist (timeout / 5xx / network error during create or cancel);
 *                only reconciliation by clientOrderId may settle it. Never resend blindly.
 * - `rejected`:  the exchange refused the request (invalid order, insufficient funds, bad symbol...).
 * - `fatal`:     credentials or permissions are wrong; stop using this account until a human acts.
 * - `not_found`: the order does not exist (fetch / cancel).
 */
import * as ccxt from 'ccxt';

export type ExchangeErrorKind = 'retryable' | 'ambiguous' | 'rejected' | 'fatal' | 'not_found';

/** Operations whose outcome on the exchange may be a side effect (so a lost response is ambiguous). */
export type ExchangeOperation =
  | 'loadMarkets'
  | 'fetchTicker'
  | 'fetchTickers'
  | 'fetchOrderBook'
  | 'fetchOHLCV'
  | 'createOrder'
  | 'cancelOrder'
  | 'fetchOrder'
  | 'fetchOpenOrders'
  | 'fetchOrderTrades'
  | 'fetchBalance';

const MUTATIONS: ReadonlySet<ExchangeOperation> = new Set(['createOrder', 'cancelOrder']);

export class ExchangeError extends Error {
  override readonly name = 'ExchangeError';
  constructor(
    readonly kind: ExchangeErrorKind,
    message: string,
    readonly details: {
      exchangeId: string;
      operation: ExchangeOperation;
      /** The ccxt error class name, when it came from ccxt. */
      ccxtError?: string;
      /** From a Retry-After header, when the exchange sent one. */
      retryAfterMs?: number;
    },
  ) {
    super(message);
  }
}

export function isExchangeError(error: unknown): error is ExchangeError {
  return error instanceof ExchangeError;
}

/** Removes secrets (and request signatures) from text that may come from ccxt or the exchange. */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  return out.replace(/(signature=)[0-9a-zA-Z%+/=_-]+/gi, '$1[REDACTED]');
}

function classify(error: ccxt.BaseError, operation: ExchangeOperation): ExchangeErrorKind {
  const mutation = MUTATIONS.has(operation);
  // Order matters: subclasses before their parents (see ccxt's errorHierarchy).
  if (error instanceof ccxt.OrderNotFound) return operation === 'createOrder' ? 'rejected' : 'not_found';
  if (error instanceof ccxt.AuthenticationError) return 'fatal'; // PermissionDenied, AccountSuspended included
  if (error instanceof ccxt.DDoSProtection || error instanceof ccxt.RateLimitExceeded) return 'retryable'; // refused before processing
  if (error instanceof ccxt.InvalidNonce) return 'retryable'; // timestamp outside recvWindow: refused, nothing placed
  if (error instanceof ccxt.RequestTimeout) return mutation ? 'ambiguous' : 'retryable';
  if (error instanceof ccxt.ExchangeNotAvailable) return mutation ? 'ambiguous' : 'retryable'; // 5xx, maintenance
  if (error instanceof ccxt.NetworkError) return mutation ? 'ambiguous' : 'retryable';
  if (error instanceof ccxt.OperationFailed) return mutation ? 'ambiguous' : 'retryable'; // BadResponse etc.
  // InvalidOrder, InsufficientFunds, BadSymbol, BadRequest, NotSupported, OperationRejected, plain ExchangeError
  return 'rejected';
}

function retryAfterMs(headers: unknown): number | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const record = headers as Record<string, unknown>;
  const value = record['Retry-After'] ?? record['retry-after'];
  const seconds = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Maps anything thrown by a ccxt call to an ExchangeError with secrets scrubbed from the message. */
export function mapCcxtError(
  error: unknown,
  context: { exchangeId: string; operation: ExchangeOperation; secrets: ReadonlyArray<string | undefined>; responseHeaders?: unknown },
): ExchangeError {
  if (error instanceof ExchangeError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const message = redactSecrets(`${context.exchangeId} ${context.operation}: ${raw}`, context.secrets);
  if (error instanceof ccxt.BaseError) {
    const kind = classify(error, context.operation);
    const retryAfter = error instanceof ccxt.DDoSProtection || error instanceof ccxt.RateLimitExceeded ? retryAfterMs(context.responseHeaders) : undefined;
    return new ExchangeError(kind, message, {
      exchangeId: context.exchangeId,
      operation: context.operation,
      ccxtError: error.constructor.name,
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    });
  }
  // Not from ccxt (a bug, or fetch failing below ccxt): for a mutation we cannot know whether it landed.
  return new ExchangeError(MUTATIONS.has(context.operation) ? 'ambiguous' : 'retryable', message, {
    exchangeId: context.exchangeId,
    operation: context.operation,
  });
}
