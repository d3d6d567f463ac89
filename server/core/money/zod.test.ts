import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zDecimalString } from './zod';

describe('zDecimalString', () => {
  const Order = z.object({
    quantity: zDecimalString({ field: 'quantity', positive: true }),
    price: zDecimalString({ field: 'price', min: '0.01', max: '1000000' }),
  });

  it('outputs the canonical decimal string', () => {
    expect(Order.parse({ quantity: '1.500', price: '6.4e4' }), 'handlers receive canonical strings').toEqual({
      quantity: '1.5',
      price: '64000',
    });
  });

  it('reports the field and the reason at the field path', () => {
    const result = Order.safeParse({ quantity: '0', price: '1e309' });
    expect(result.success, 'zero quantity and absurd price are refused').toBe(false);
    const issues = result.error!.issues.map((issue) => ({ path: issue.path, message: issue.message }));
    expect(issues, 'each issue carries the path and a readable reason').toEqual([
      { path: ['quantity'], message: 'quantity must be greater than zero' },
      { path: ['price'], message: 'price magnitude exceeds 1e15' },
    ]);
  });

  it('refuses JSON numbers, negatives and out-of-range values', () => {
    expect(Order.safeParse({ quantity: 1, price: '10' }).success, 'numbers have lost precision already').toBe(false);
    expect(Order.safeParse({ quantity: '-1', price: '10' }).success, 'negative quantity').toBe(false);
    expect(Order.safeParse({ quantity: '1', price: '0.001' }).success, 'price below min').toBe(false);
    expect(zDecimalString({ field: 'pnl', allowNegative: true }).parse('-3.20'), 'negatives where the schema allows them').toBe('-3.2');
  });
});
