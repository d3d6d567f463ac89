import { z } from 'zod';
import { zDecimalOutput } from '@/server/core/money/zod';
import { zTimeOutput } from '@/server/core/time-output';

/** What callers see of an exchange account: one declaration each (re-exported by server/api/schemas/accounts.ts). */

/** Never a credential, at most the API key's last 4 characters. */
export const ZAccountResponseSchema = z.object({
  id: z.string(),
  name: z.string(),
  exchange: z.string(),
  kind: z.enum(['paper', 'exchange']),
  feeRate: zDecimalOutput().nullable(),
  slippage: zDecimalOutput().nullable(),
  /** e.g. "…a1b2" */
  apiKeyHint: z.string().nullable(),
  hasCredentials: z.boolean(),
  createdAt: zTimeOutput(),
  updatedAt: zTimeOutput(),
});
export type AccountView = z.infer<typeof ZAccountResponseSchema>;

export const ZBalanceSchema = z.object({ free: zDecimalOutput(), used: zDecimalOutput(), total: zDecimalOutput() });
export type BalanceView = z.infer<typeof ZBalanceSchema>;

export const ZAccountBalanceResponseSchema = z.object({
  accountId: z.string(),
  source: z.enum(['paper', 'exchange']),
  balances: z.record(z.string(), ZBalanceSchema),
});
export type AccountBalances = z.infer<typeof ZAccountBalanceResponseSchema>;

export const ZConnectionTestResponseSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), exchange: z.string(), message: z.string(), assets: z.number().int() }),
  z.object({ ok: z.literal(false), exchange: z.string(), message: z.string(), kind: z.string() }),
]);
export type ConnectionTestResult = z.infer<typeof ZConnectionTestResponseSchema>;
