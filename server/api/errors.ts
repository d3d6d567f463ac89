import { randomUUID } from 'node:crypto';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ZodError } from 'zod';
import { databaseUnavailableReason, UNAVAILABLE_ANSWERS } from '@/db/errors';
import { AppError, type AppErrorCode, type FieldIssue } from '@/server/core/errors';
import { textProblem } from '@/server/core/text';
import { logger } from '@/server/logger';

/** The one table from an application error code to its tRPC code and HTTP status. */
export const ERROR_MAP: Record<AppErrorCode, { trpc: TRPC_ERROR_CODE_KEY; http: number }> = {
  BAD_REQUEST: { trpc: 'BAD_REQUEST', http: 400 },
  UNAUTHORIZED: { trpc: 'UNAUTHORIZED', http: 401 },
  FORBIDDEN: { trpc: 'FORBIDDEN', http: 403 },
  NOT_FOUND: { trpc: 'NOT_FOUND', http: 404 },
  CONFLICT: { trpc: 'CONFLICT', http: 409 },
  PAYLOAD_TOO_LARGE: { trpc: 'PAYLOAD_TOO_LARGE', http: 413 },
  UNSUPPORTED_MEDIA_TYPE: { trpc: 'UNSUPPORTED_MEDIA_TYPE', http: 415 },
  UNPROCESSABLE: { trpc: 'UNPROCESSABLE_CONTENT', http: 422 },
  TOO_MANY_REQUESTS: { trpc: 'TOO_MANY_REQUESTS', http: 429 },
  UNAVAILABLE: { trpc: 'SERVICE_UNAVAILABLE', http: 503 },
};

export function zodFieldIssues(error: ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    // A bad record key: name the record and say what is wrong with the key (the key itself may be the problem).
    const badKey = issue.code === 'invalid_key';
    const path = badKey ? issue.path.slice(0, -1) : issue.path;
    const field = [prefix, ...path.map(String)].filter(Boolean).join('.') || '(body)';
    let message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    if (badKey) {
      const key = String(issue.path.at(-1));
      const why = issue.issues[0]?.message ?? 'is not allowed';
      message = textProblem(key) ? `has a key that ${why}` : `key ${JSON.stringify(key)}: ${why}`;
    }
    return { field, message };
  });
}

/** Whatever was thrown, as an AppError; unexpected errors are logged with an id and hidden from the client. */
export function toAppError(error: unknown, context: Record<string, unknown> = {}): { appError: AppError | null; errorId?: string } {
  if (error instanceof AppError) return { appError: error };
  if (error instanceof ZodError) return { appError: AppError.validation(zodFieldIssues(error)) };
  if (isDomainFieldError(error)) return { appError: AppError.validation([{ field: error.field, message: error.reason }]) };
  const unavailable = databaseUnavailable(error, context);
  if (unavailable) return { appError: unavailable };
  const errorId = randomUUID();
  logger.error({ errorId, err: error, ...context }, 'unexpected error');
  return { appError: null, errorId };
}

/** Errors from server/core that name a field and a reason (e.g. a bad decimal) are validation errors. */
function isDomainFieldError(error: unknown): error is { field: string; reason: string } {
  return error instanceof Error && typeof (error as { field?: unknown }).field === 'string' && typeof (error as { reason?: unknown }).reason === 'string';
}

/**
 * A database timeout, lock timeout, deadlock, serialization failure, exhausted pool or lost connection (db/errors.ts):
 * 503 with Retry-After and a message saying to try again, never a 500 (docs/security.md, "Database timeouts").
 */
function databaseUnavailable(error: unknown, context: Record<string, unknown>): AppError | null {
  const reason = databaseUnavailableReason(error);
  if (!reason) return null;
  const { message, retryAfterSeconds } = UNAVAILABLE_ANSWERS[reason];
  logger.warn({ reason, ...context }, 'database unavailable for a request');
  return new AppError('UNAVAILABLE', message, { retryAfterSeconds, reason });
}

/** The Retry-After (seconds) a tRPC response should carry: the largest of its errors' AppErrors, if any asks for one. */
export function retryAfterOfErrors(errors: ReadonlyArray<{ cause?: unknown }>): number | undefined {
  const seconds = errors
    .map((e) => (e.cause instanceof AppError ? e.cause.details?.retryAfterSeconds : undefined))
    .filter((s): s is number => typeof s === 'number' && s > 0);
  return seconds.length > 0 ? Math.max(...seconds) : undefined;
}
