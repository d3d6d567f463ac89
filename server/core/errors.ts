/**
 * The one error type the application raises on purpose. Each code maps to one tRPC code and one HTTP
 * status (server/api/errors.ts); anything else that escapes is a bug and becomes an opaque 500.
 */
export const APP_ERROR_CODES = [
  'BAD_REQUEST', // 400: malformed request (not JSON, wrong content type)
  'UNAUTHORIZED', // 401
  'FORBIDDEN', // 403
  'NOT_FOUND', // 404
  'CONFLICT', // 409
  'PAYLOAD_TOO_LARGE', // 413: the body is over the route's limit (server/api/body-limit.ts)
  'UNSUPPORTED_MEDIA_TYPE', // 415: a body that is not the media type the route reads (application/json)
  'UNPROCESSABLE', // 422: validation failed; details name the fields
  'TOO_MANY_REQUESTS', // 429
  'UNAVAILABLE', // 503: a dependency (database, exchange) is down
] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. "params.fast" or "candles.3.high". */
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly details?: { fields?: FieldIssue[]; retryAfterSeconds?: number; [key: string]: unknown };

  constructor(code: AppErrorCode, message: string, details?: AppError['details']) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  static validation(fields: FieldIssue[]): AppError {
    const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
    return new AppError('UNPROCESSABLE', `invalid input: ${summary}`, { fields });
  }

  static notFound(what: string): AppError {
    return new AppError('NOT_FOUND', `${what} not found`);
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
