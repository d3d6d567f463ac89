// The complete example of docs/strategies.md, kept here so it always compiles and works.
// Keep the two in step: the block between the markers is copied verbatim into the doc.
import { describe, expect, it } from 'vitest';
import { seriesFromRows } from '../candles';
import { runBacktest } from '../backtest/engine';
import { parseParams } from './params';

// --- example start ---
import type { CandleSeries } from '@/server/core/candles';
import { SMA } from '@/server/core/indicators/sma';
import { BarStrategy } from '@/server/core/strategies/bar-strategy';
import { defineStrategy, type StrategyParams } from '@/server/core/strategies/types';

const parameters = {
  period: {
    type: 'integer',
    default: 50,
    min: 2,
    max: 1000,
    label: 'Average period',
    unit: 'bars',
    description: 'Bars in the simple moving average of closes.',
  },
  confirmBars: {
    type: 'integer',
    default: 1,
    min: 1,
    max: 10,
    label: 'Confirmation',
    unit: 'bars',
    description: 'Closes above the average needed before buying.',
  },
} as const;

type Params = StrategyParams<typeof parameters>;

/** Buy after `confirmBars` consecutive closes above SMA(period); sell on the first close below it. */
export class CloseAboveSmaStrategy extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly average: SMA;
  private closesAbove = 0;
  private below = false;

  constructor(params: Params) {
    super(params);
    this.average = new SMA(params.period);
    this.warmup = params.period - 1;
  }

  protected next(series: CandleSeries, i: number): void {
    const close = series.close[i]!;
    const average = this.average.update(close);
    if (average === null) return;
    this.closesAbove = close > average ? this.closesAbove + 1 : 0;
    this.below = close < average;
  }

  protected entrySignal(): boolean {
    return this.closesAbove === this.params.confirmBars;
  }

  protected exitSignal(): boolean {
    return this.below;
  }

  protected resetState(): void {
    this.average.reset();
    this.closesAbove = 0;
    this.below = false;
  }
}

export const closeAboveSma = defineStrategy({
  type: 'close_above_sma',
  name: 'Close above SMA',
  description: 'Buys after closes confirm above the moving average; sells on a close below it.',
  parameters,
  create: (params) => new CloseAboveSmaStrategy(params),
});
// --- example end ---

describe('docs/strategies.md example', () => {
  const closes = [10, 10, 10, 11, 12, 13, 9, 9, 12, 13, 14];
  const series = seriesFromRows(closes.map((c, i) => [i * 60_000, c, c, c, c, 1]));

  it('validates its parameters and signals as documented', () => {
    const strategy = closeAboveSma.create(parseParams(closeAboveSma, { period: 3, confirmBars: 2 }));
    // SMA(3) from bar 2: 10, 10.33, 11, 12, 11.33, 10.33, 10, 11.33, 13
    expect(Array.from(strategy.generateSignals(series)), 'second close above enters, a close below exits').toEqual([0, 0, 0, 0, 1, 0, -1, -1, 0, 1, 0]);
    expect(() => parseParams(closeAboveSma, { period: 1 }), 'period below its min').toThrow(/period must be at least 2/);
  });

  it('backtests like any built-in', () => {
    const result = runBacktest(series, closeAboveSma.create(parseParams(closeAboveSma, { period: 3 })), {
      initialCapital: 1000,
      feeRate: 0,
      slippage: 0,
      timeframe: '1m',
    });
    expect(
      result.trades.map((t) => [t.entryPrice, t.exitPrice, t.exitReason]),
      'buys the open after the signal',
    ).toEqual([
      [12, 9, 'signal'],
      [13, 14, 'end'],
    ]);
  });
});
