import { z } from 'zod';
import type { signals } from '@/db/schema';

export type SignalRow = typeof signals.$inferSelect;

/** One received signal and what came of it, as the owner (and the sender's answer) sees it. */
export const ZSignalResponseSchema = z.object({
  id: z.number().int(),
  /** the sender's `id` (null: an invalid signal, which claims no id) */
  signalId: z.string().nullable(),
  action: z.string().nullable(),
  symbol: z.string().nullable(),
  size: z.string().nullable(),
  price: z.string().nullable(),
  /** the sender's `time`, ISO 8601 UTC */
  time: z.string().nullable(),
  receivedAt: z.string(),
  outcome: z.enum(['executed', 'pending', 'refused', 'invalid']),
  reason: z.string().nullable(),
  orderId: z.string().nullable(),
  /** the order's status (when answered; in a list, now); null: no order */
  orderStatus: z.string().nullable(),
  httpStatus: z.number().int(),
});
export type SignalView = z.infer<typeof ZSignalResponseSchema>;

/** What the deployment page shows: where to send signals, whether a secret exists, and the last signals. */
export const ZSignalWebhookResponseSchema = z.object({
  deploymentId: z.string(),
  /** the webhook's path; the secret goes in the X-Cryptobot-Signal-Secret header, or after the path (TradingView) */
  path: z.string(),
  secret: z.object({ prefix: z.string(), createdAt: z.string() }).nullable(),
  signals: z.array(ZSignalResponseSchema),
});
export type SignalWebhookView = z.infer<typeof ZSignalWebhookResponseSchema>;

/** A new signal secret: shown once. */
export const ZSignalSecretResponseSchema = z.object({ secret: z.string(), prefix: z.string(), createdAt: z.string() });

export function toSignalView(row: SignalRow, orderStatus: string | null): SignalView {
  return {
    id: row.id,
    signalId: row.signalId,
    action: row.action,
    symbol: row.symbol,
    size: row.size,
    price: row.price,
    time: row.signalTime ? row.signalTime.toISOString() : null,
    receivedAt: row.receivedAt.toISOString(),
    outcome: row.outcome,
    reason: row.reason,
    orderId: row.orderId,
    orderStatus,
    httpStatus: row.httpStatus,
  };
}

/** The webhook's answer to a signal it executed: 201, or 200 with `duplicate: true` for a repeated `id` (the first outcome). */
export const ZSignalAnswerSchema = z.object({ signal: ZSignalResponseSchema, duplicate: z.boolean() });
export type SignalAnswerBody = z.input<typeof ZSignalAnswerSchema>;
