/**
 * What a signal's sender is answered (docs/signals.md), from the signal's row: the first answer and every repeat's
 * are the same; and the clientOrderId that ties a signal to its one order.
 */
import { createHash } from 'node:crypto';

import { AppError } from '@/server/core/errors';

import { toSignalView, type SignalRow } from './views';

/** What the route answers: the status and body of this signal's outcome (a duplicate: the first one's, marked). */
export interface SignalAnswer {
  status: number;
  /** executed (201; 200 for a repeated id) or a live order pending (202): `body` is a SignalAnswerBody; otherwise an error body (400/409/422) */
  executed: boolean;
  body: Record<string, unknown>;
}

/** 401 for a wrong secret and an unknown deployment alike: existence never leaks. */
export const UNAUTHORIZED = () => new AppError('UNAUTHORIZED', 'unknown deployment or wrong signal secret');

/** The clientOrderId of a signal's order: "cbs" + 29 hex chars of sha256 over (deployment, signal id): never two orders for one signal. */
export function signalClientOrderId(deploymentId: string, signalId: string): string {
  return `cbs${createHash('sha256')
    .update(JSON.stringify([deploymentId, signalId]))
    .digest('hex')
    .slice(0, 29)}`;
}

function errorBody(code: 'UNPROCESSABLE' | 'CONFLICT' | 'BAD_REQUEST', message: string, details: Record<string, unknown>): Record<string, unknown> {
  return { error: { code, message, details } };
}

/**
 * The answer to a signal, from its row: the first answer and every duplicate's (marked `duplicate`) are the same.
 * Executed: {signal, duplicate}; refused: a 409 error naming why; invalid: a 422 (400: not JSON) naming the fields.
 */
export function signalAnswerBody(row: SignalRow, duplicate: boolean): Record<string, unknown> {
  const { orderStatus = null, fields, order: _order, ...details } = row.details;
  const signal = toSignalView(row, orderStatus);
  if (row.outcome === 'executed' || row.outcome === 'pending') return { signal, duplicate };
  const body =
    row.outcome === 'refused'
      ? errorBody('CONFLICT', `signal refused: ${row.reason}`, { ...details, signal })
      : errorBody(row.httpStatus === 400 ? 'BAD_REQUEST' : 'UNPROCESSABLE', row.reason ?? 'invalid signal', { fields: fields ?? [], signal });
  return duplicate ? { ...body, duplicate } : body;
}

export function answerOf(row: SignalRow, duplicate: boolean): SignalAnswer {
  const status = duplicate && (row.httpStatus === 201 || row.httpStatus === 202) ? (row.httpStatus === 201 ? 200 : 202) : row.httpStatus;
  return { status, body: signalAnswerBody(row, duplicate), executed: row.outcome === 'executed' || row.outcome === 'pending' };
}
