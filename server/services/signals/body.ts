/**
 * The body of a signal (docs/signals.md): TradingView's alert message style. Validated here, in the service that
 * records every signal (a bad one too), not only at the route.
 */
import { z } from 'zod';
import { safeText } from '@/server/core/text';

/** A positive decimal as a string or a JSON number: no NaN, Infinity, exponents or absurd magnitudes. */
const positiveAmount = z
  .union([z.string(), z.number()])
  .transform((value) => (typeof value === 'number' ? String(value) : value.trim()))
  .refine((value) => /^\d{1,15}(\.\d{1,18})?$/.test(value) && Number(value) > 0, {
    message: 'must be a positive decimal number (e.g. "0.01"), at most 15 digits before the point',
  });

/** ms since epoch (number or digits), or an ISO 8601 time with its zone (TradingView's {{timenow}}: 2024-01-01T00:00:00Z). */
const signalTime = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : /^\d{10,16}$/.test(value.trim()) ? Number(value.trim()) : Date.parse(value);
  const hasZone = typeof value === 'number' || /^\d+$/.test(value.trim()) || /(Z|[+-]\d\d:?\d\d)$/i.test(value.trim());
  if (!Number.isSafeInteger(Math.trunc(ms)) || Number.isNaN(ms) || ms <= 0 || !hasZone) {
    ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 time with its zone (e.g. 2024-01-01T00:00:00Z)' });
    return z.NEVER;
  }
  return Math.trunc(ms);
});

export const ZSignalBodySchema = z.strictObject({
  action: z.enum(['buy', 'sell', 'exit'], { message: 'must be "buy", "sell" or "exit"' }),
  symbol: safeText().min(1).max(64),
  size: positiveAmount.optional(),
  price: positiveAmount.optional(),
  id: safeText()
    .min(1)
    .max(128)
    .regex(/^[\x21-\x7e]+$/, { message: 'must be 1–128 printable ASCII characters without spaces' }),
  time: signalTime.optional(),
});
export type SignalBody = z.infer<typeof ZSignalBodySchema>;

/**
 * The deployment's market in the forms a sender may write it: "BTC/USDT", "BTCUSDT", "BINANCE:BTCUSDT" (TradingView's
 * {{ticker}} or exchange-prefixed symbol), "BTC-USDT"; letters' case ignored.
 */
export function symbolMatches(sent: string, deploymentSymbol: string): boolean {
  const bare = (s: string) =>
    s
      .replace(/^[A-Za-z0-9_]+:/, '')
      .replace(/[/\-_]/g, '')
      .toUpperCase();
  return bare(sent) === bare(deploymentSymbol);
}
