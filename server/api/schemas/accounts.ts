import { z } from 'zod';
import { multilineText, safeText } from '@/server/core/text';
import { zDecimalInput } from '@/server/core/money';
import { ZAccountResponseSchema, ZBalanceSchema, ZAccountBalanceResponseSchema, ZConnectionTestResponseSchema } from '@/server/services/accounts/views';

/** Shared by the REST handlers, the tRPC procedures and the account form. */
export const ZAccountName = safeText({ error: 'must be a string' }).trim().min(1, { error: 'is required' }).max(64, { error: 'must be at most 64 characters' });

/** "paper" or a ccxt id; whether it is enabled is checked by the service against the config. */
export const ZExchangeId = safeText({ error: 'must be a string' }).regex(/^[a-z0-9]{2,32}$/, {
  error: 'must be "paper" or a ccxt exchange id (lowercase letters and digits)',
});

export const ZAsset = safeText().regex(/^[A-Z0-9]{1,20}$/, { error: 'asset codes are 1–20 uppercase letters or digits, e.g. "USDT"' });

/** Starting balances of a paper account, e.g. {"USDT": "10000"}. */
export const ZPaperBalances = z
  .record(ZAsset, zDecimalInput({ field: 'balance', max: '1000000000000' }))
  .refine((value) => Object.keys(value).length <= 50, { error: 'at most 50 assets' });

export const ZFeeRate = zDecimalInput({ field: 'feeRate', max: '0.1' });
export const ZSlippage = zDecimalInput({ field: 'slippage', max: '0.1' });

const secretString = (max: number, text: typeof safeText = safeText) =>
  text({ error: 'must be a string' })
    .min(1, { error: 'is required' })
    .max(max, { error: `must be at most ${max} characters` });

export const ZCredentials = z.object({ apiKey: secretString(512), secret: secretString(2048, multilineText), password: secretString(512).optional() }).strict();

export const ZCreateAccountRequestSchema = z
  .object({
    name: ZAccountName,
    exchange: ZExchangeId,
    balances: ZPaperBalances.optional(),
    feeRate: ZFeeRate.optional(),
    slippage: ZSlippage.optional(),
    credentials: ZCredentials.optional(),
  })
  .strict();

export const ZUpdateAccountRequestSchema = z
  .object({ name: ZAccountName.optional(), feeRate: ZFeeRate.optional(), slippage: ZSlippage.optional(), credentials: ZCredentials.optional() })
  .strict();

export const ZAccountIdSchema = z.object({ id: safeText().min(1).max(64) }).strict();

export type AccountResponse = z.infer<typeof ZAccountResponseSchema>;

export const ZExchangeOptionsResponseSchema = z.array(z.object({ id: z.string(), name: z.string(), requiredCredentials: z.array(z.string()) }));

export { ZAccountResponseSchema, ZBalanceSchema, ZAccountBalanceResponseSchema, ZConnectionTestResponseSchema };

// REST bodies around the shapes above (tRPC answers the list as a bare array).
export const ZAccountListResponseSchema = z.object({ accounts: z.array(ZAccountResponseSchema) });
export const ZAccountDeletedResponseSchema = z.object({ id: z.string(), deleted: z.literal(true) });
