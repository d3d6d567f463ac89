/**
 * The one error type of the pure core: a value or an operation that the domain rules forbid.
 * `field` names the input at fault (e.g. "quantity", "order.status"), `reason` says why in words a user
 * can read, `code` is a stable machine key the API layer maps to an HTTP status / tRPC code
 * (every code here is a client error: 422 / BAD_REQUEST or 409 / CONFLICT for `invalid_transition`).
 */
export type DomainErrorCode = 'invalid_value' | 'invalid_transition' | 'overfill' | 'division_by_zero';

export class DomainError extends Error {
  override readonly name: string = 'DomainError';
  readonly code: DomainErrorCode;
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string, code: DomainErrorCode = 'invalid_value') {
    super(`${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
    this.code = code;
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
