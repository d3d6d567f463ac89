import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ZCreateAccountRequestSchema, ZUpdateAccountRequestSchema } from './accounts';
import { ZCreateBacktestRequestSchema, ZCreateSweepRequestSchema } from './backtests';
import { ZCreateDeploymentRequestSchema } from './deployments';
import { ZCandlesQuerySchema, ZImportRequestSchema } from './market-data';
import { ZPlaceOrderRequestSchema } from './orders';
import { ZEquityCurveRequestSchema } from './portfolio';

/**
 * The one rule for request types (docs/api.md, "Types"): every rate, price or amount takes a JSON number or a
 * decimal string, and every time ISO 8601 or epoch milliseconds. Each field below is tried with both forms of the
 * same value and with what must be refused; a refusal names the field at its path.
 */
const STRATEGY = '3f1c2b0e-8d4a-4c6e-9b7a-2e5f1d3c4b5a';
const RUN = { strategyId: STRATEGY, start: '2024-01-01', end: '2024-02-01' };

type Schema = z.ZodType;
interface DecimalCase {
  schema: Schema;
  name: string;
  base: Record<string, unknown>;
  /** dotted path of the field */
  field: string;
  /** what the service receives for 0.001 */
  out: string | number;
}

const DECIMAL_FIELDS: DecimalCase[] = [
  ...(['feeRate', 'slippage', 'balances.USDT'] as const).map((field) => ({
    schema: ZCreateAccountRequestSchema,
    name: 'POST /accounts',
    base: { name: 'paper', exchange: 'paper' },
    field,
    out: '0.001',
  })),
  ...(['feeRate', 'slippage'] as const).map((field) => ({ schema: ZUpdateAccountRequestSchema, name: 'PATCH /accounts/{id}', base: {}, field, out: '0.001' })),
  ...(['quantity', 'price', 'stopPrice'] as const).map((field) => ({
    schema: ZPlaceOrderRequestSchema,
    name: 'POST /orders',
    base: { accountId: 'a', symbol: 'BTC/USDT', side: 'buy', type: 'stop_limit', quantity: '1', price: '100', stopPrice: '99' },
    field,
    out: '0.001',
  })),
  ...(['maxPositionQuote', 'capitalQuote', 'riskLimits.maxOrderNotional', 'riskLimits.dailyLossLimitQuote', 'riskLimits.maxDrawdownFraction'] as const).map(
    (field) => ({
      schema: ZCreateDeploymentRequestSchema,
      name: 'POST /strategies/{id}/deployments',
      base: { accountId: 'a', mode: 'paper' },
      field,
      out: '0.001',
    }),
  ),
  ...(['initialCapital', 'feeRate', 'slippage'] as const).flatMap((field) => [
    { schema: ZCreateBacktestRequestSchema, name: 'POST /backtests', base: RUN, field, out: 0.001 },
    { schema: ZCreateSweepRequestSchema, name: 'POST /sweeps', base: { ...RUN, ranges: { fastPeriod: { values: [5] } } }, field, out: 0.001 },
  ]),
];

/** `base` with `value` at the dotted `field`. */
function withField(base: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const body = structuredClone(base);
  const parts = field.split('.');
  let at = body;
  for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
  at[parts.at(-1)!] = value;
  return body;
}

function at(value: unknown, field: string): unknown {
  return field.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

describe('rates, prices and amounts: a JSON number or a decimal string', () => {
  it.each(DECIMAL_FIELDS.map((c) => [`${c.name} ${c.field}`, c] as const))('%s', (_, c) => {
    for (const value of [0.001, '0.001', '1e-3']) {
      const result = c.schema.safeParse(withField(c.base, c.field, value));
      expect(result.error?.issues, `${c.field} = ${JSON.stringify(value)}`).toBeUndefined();
      expect(at(result.data, c.field), `${c.field} = ${JSON.stringify(value)}`).toBe(c.out);
    }
    for (const value of ['abc', 'NaN', 'Infinity', '-Infinity', '', ' ', '0x10', '1,5', -1, '-1', true, null, {}, [0.001]]) {
      const result = c.schema.safeParse(withField(c.base, c.field, value));
      expect(result.success, `${c.field} = ${JSON.stringify(value)} is refused`).toBe(false);
      const issue = result.error!.issues.find((i) => i.path.join('.') === c.field);
      expect(issue, `${c.field} = ${JSON.stringify(value)}: the error names the field (${JSON.stringify(result.error!.issues)})`).toBeDefined();
      expect(issue!.message.length).toBeGreaterThan(0);
    }
  });

  it('a JSON number keeps the decimal it was written as', () => {
    const account = ZCreateAccountRequestSchema.parse({ name: 'p', exchange: 'paper', feeRate: 0.1, balances: { USDT: 10000.5, BTC: 0.00012345 } });
    expect(account).toMatchObject({ feeRate: '0.1', balances: { USDT: '10000.5', BTC: '0.00012345' } });
  });

  it('a refusal names the field in its message too', () => {
    const result = ZCreateAccountRequestSchema.safeParse({ name: 'p', exchange: 'paper', feeRate: 'abc', slippage: -1 });
    expect(result.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['feeRate', 'feeRate must be a decimal number'],
      ['slippage', 'slippage must not be negative'],
    ]);
  });
});

interface TimeCase {
  schema: Schema;
  name: string;
  base: Record<string, unknown>;
  field: string;
}

const TIME_FIELDS: TimeCase[] = [
  { schema: ZCreateBacktestRequestSchema, name: 'POST /backtests', base: { ...RUN, end: '2030-01-01' }, field: 'start' },
  { schema: ZCreateSweepRequestSchema, name: 'POST /sweeps', base: { ...RUN, start: '2000-01-01', ranges: { fastPeriod: { values: [5] } } }, field: 'end' },
  {
    schema: ZCreateDeploymentRequestSchema,
    name: 'POST /strategies/{id}/deployments',
    base: { accountId: 'a', mode: 'paper', feed: { type: 'replay' } },
    field: 'feed.start',
  },
  { schema: ZCandlesQuerySchema, name: 'GET /market-data/candles', base: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, field: 'start' },
  {
    schema: ZImportRequestSchema,
    name: 'POST /market-data/import',
    base: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', start: 0, end: '2030-01-01' },
    field: 'start',
  },
  { schema: ZEquityCurveRequestSchema, name: 'GET /portfolio/equity', base: {}, field: 'from' },
];

describe('times in: ISO 8601 (no zone = UTC) or epoch milliseconds, out to the service as ms', () => {
  const ms = Date.UTC(2024, 0, 1, 12);
  it.each(TIME_FIELDS.map((c) => [`${c.name} ${c.field}`, c] as const))('%s', (_, c) => {
    for (const value of [ms, String(ms), '2024-01-01T12:00:00Z', '2024-01-01T12:00', '2024-01-01T14:00+02:00']) {
      const result = c.schema.safeParse(withField(c.base, c.field, value));
      expect(result.error?.issues, `${c.field} = ${JSON.stringify(value)}`).toBeUndefined();
      expect(at(result.data, c.field), `${c.field} = ${JSON.stringify(value)}`).toBe(ms);
    }
    for (const value of ['yesterday', '2024-01-01 12:00', 'Jan 1 2024', -1, 1.5, 'NaN', true, null]) {
      const result = c.schema.safeParse(withField(c.base, c.field, value));
      expect(result.success, `${c.field} = ${JSON.stringify(value)} is refused`).toBe(false);
      expect(
        result.error!.issues.some((i) => i.path.join('.') === c.field),
        `${c.field} = ${JSON.stringify(value)} names the field: ${JSON.stringify(result.error!.issues)}`,
      ).toBe(true);
    }
  });
});
