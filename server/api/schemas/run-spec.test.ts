import { describe, expect, it } from 'vitest';
import { ZCreateBacktestRequestSchema, ZCreateSweepRequestSchema } from './backtests';

const STRATEGY = '3f1c2b0e-8d4a-4c6e-9b7a-2e5f1d3c4b5a';

/** Both requests are one run spec plus their own field: the shared part must validate identically. */
describe('run spec shared by backtest and sweep requests', () => {
  const extras = { backtest: {}, sweep: { ranges: { fastPeriod: { values: [5, 10] } } } };
  const parse = (kind: 'backtest' | 'sweep', body: Record<string, unknown>) =>
    (kind === 'backtest' ? ZCreateBacktestRequestSchema : ZCreateSweepRequestSchema).safeParse({ ...body, ...extras[kind] });

  it.each(['backtest', 'sweep'] as const)('%s: times to ms, defaults filled in', (kind) => {
    const result = parse(kind, { strategyId: STRATEGY, start: '2024-01-01', end: 1_706_745_600_000 });
    expect(result.success).toBe(true);
    expect(result.data).toMatchObject({
      strategyId: STRATEGY,
      start: Date.parse('2024-01-01T00:00:00Z'),
      end: 1_706_745_600_000,
      initialCapital: 10_000,
      feeRate: 0.001,
      slippage: 0.0005,
    });
  });

  it.each(['backtest', 'sweep'] as const)('%s: the same fields are refused with the same messages', (kind) => {
    const bad = parse(kind, { strategyId: 'nope', start: '2024-02-01', end: '2024-01-01', initialCapital: 0, feeRate: 'NaN', slippage: 0.5 });
    expect(bad.success).toBe(false);
    const issues = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).sort();
    expect(issues).toEqual([
      'feeRate: must be a fraction from 0 to 0.1 (0.001 = 0.1% per fill)',
      'initialCapital: must be a number greater than 0 and at most 1e12 (quote currency)',
      'slippage: must be a fraction from 0 to 0.1 (0.0005 = 0.05% per fill)',
      'strategyId: must be a strategy id (UUID)',
    ]);
    const backwards = parse(kind, { strategyId: STRATEGY, start: '2024-02-01', end: '2024-01-01' });
    expect(
      backwards.error?.issues.map((i) => [i.path.join('.'), i.message]),
      'end after start, named',
    ).toEqual([['end', 'must be after start']]);
  });
});
