import { describe, expect, it } from 'vitest';
import { seriesFromRows, type CandleSeries } from '../candles';
import { BarStrategy } from '../strategies/bar-strategy';
import { createStrategy } from '../strategies/registry';
import type { CommonParams } from '../strategies/types';
import { runBacktest } from './engine';
import { computeMetrics } from './metrics';
import { BacktestCancelledError, type BacktestTrade } from './types';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Bars from [open, high, low, close] at hourly times (or explicit hour offsets). */
function bars(ohlc: number[][], hours?: number[]): CandleSeries {
  return seriesFromRows(ohlc.map((b, i) => [T0 + (hours?.[i] ?? i) * HOUR, b[0]!, b[1]!, b[2]!, b[3]!, 1]));
}

/** A strategy that says 'enter'/'exit' on given bar indices: lets each rule be tested alone. */
class ScriptedStrategy extends BarStrategy<CommonParams> {
  readonly warmup = 0;
  private index = -1;
  constructor(
    private readonly script: Record<number, 'enter' | 'exit'>,
    risk: Partial<CommonParams> = {},
  ) {
    super({ positionSizePct: 100, stopLossPct: null, takeProfitPct: null, trailingStopPct: null, ...risk });
  }
  protected next(_series: CandleSeries, i: number): void {
    this.index = i;
  }
  protected entrySignal(): boolean {
    return this.script[this.index] === 'enter';
  }
  protected exitSignal(): boolean {
    return this.script[this.index] === 'exit';
  }
  protected resetState(): void {
    this.index = -1;
  }
}

function expectClose(actual: number | undefined, expected: number, why: string) {
  expect(actual, why).toBeDefined();
  const relative = Math.abs(actual! - expected) / Math.max(Math.abs(expected), 1e-12);
  if (!(relative <= 1e-9)) expect.fail(`${why}: got ${actual}, expected ${expected}`);
}

const config = { initialCapital: 1000, feeRate: 0.001, slippage: 0.01, timeframe: '1h' };

const fiveBars = bars([
  [100, 101, 99, 100],
  [102, 110, 101, 108],
  [109, 112, 107, 110],
  [111, 111, 104, 105],
  [104, 106, 103, 106],
]);

describe('runBacktest: fills and accounting', () => {
  it('fills a decision at the next bar open with slippage and fee, and accounts cash and equity', () => {
    const result = runBacktest(fiveBars, new ScriptedStrategy({ 0: 'enter', 2: 'exit' }), config);
    const buyPrice = 102 * 1.01;
    const quantity = 1000 / (buyPrice * 1.001);
    const sellPrice = 111 * 0.99;
    const exitFee = 0.001 * sellPrice * quantity;
    const pnl = sellPrice * quantity - exitFee - 1000;
    expect(result.trades.length, 'one round trip').toBe(1);
    const trade = result.trades[0]!;
    expect(trade.entryTime, 'entry fills on bar 1, the bar after the decision').toBe(fiveBars.time[1]);
    expect(trade.exitTime, 'exit fills on bar 3, the bar after the decision').toBe(fiveBars.time[3]);
    expect(trade.exitReason).toBe('signal');
    expectClose(trade.entryPrice, buyPrice, 'buy pays open × (1 + slippage)');
    expectClose(trade.exitPrice, sellPrice, 'sell receives open × (1 − slippage)');
    expectClose(trade.quantity, quantity, 'all cash, fee on top: cash / (price × (1 + feeRate))');
    expectClose(trade.fee, 0.001 * buyPrice * quantity + exitFee, 'fee = entry fee + exit fee');
    expectClose(trade.pnl, pnl, 'pnl = proceeds − exit fee − (entry cost + entry fee)');
    expectClose(trade.pnlPct, (pnl / 1000) * 100, 'pnlPct relative to the entry cost + fee');
    expectClose(result.equity[0], 1000, 'flat: equity is the cash');
    expectClose(result.equity[1], quantity * 108, 'holding: cash (≈0) + quantity × close');
    expectClose(result.equity[2], quantity * 110, 'holding at bar 2 close');
    expectClose(result.equity[3], 1000 + pnl, 'after the sale: the cash');
    expectClose(result.equity[4], 1000 + pnl, 'flat again');
    expectClose(result.metrics.totalReturnPct, (pnl / 1000) * 100, 'total return from the final equity');
    expectClose(result.metrics.exposurePct, 40, 'held at the close of bars 1 and 2 of 5');
    expect(
      result.markers.map((m) => [m.index, m.side, m.reason]),
      'markers at the fill bars',
    ).toEqual([
      [1, 'buy', 'entry'],
      [3, 'sell', 'signal'],
    ]);
  });

  it('spends only positionSizePct of the cash', () => {
    const strategy = new ScriptedStrategy({ 0: 'enter', 2: 'exit' }, { positionSizePct: 25 });
    const result = runBacktest(fiveBars, strategy, config);
    const buyPrice = 102 * 1.01;
    const quantity = (1000 * 25) / 100 / (buyPrice * 1.001);
    expectClose(result.trades[0]!.quantity, quantity, 'a quarter of the cash, fee on top');
    expectClose(result.equity[1], 750 + quantity * 108, 'the rest stays in cash');
  });

  it('does not fill a decision taken on the last bar', () => {
    const result = runBacktest(fiveBars, new ScriptedStrategy({ 4: 'enter' }), config);
    expect(result.trades, 'nothing to fill it on').toEqual([]);
    expect(result.markers, 'no buy happened').toEqual([]);
    expect(Array.from(result.equity), 'cash untouched').toEqual([1000, 1000, 1000, 1000, 1000]);
  });

  it('sells a position still open after the last bar at the last close with slippage and fee (exitReason end)', () => {
    const result = runBacktest(fiveBars, new ScriptedStrategy({ 2: 'enter' }), config);
    const buyPrice = 111 * 1.01;
    const quantity = 1000 / (buyPrice * 1.001);
    const sellPrice = 106 * 0.99;
    const cash = sellPrice * quantity - 0.001 * sellPrice * quantity;
    const trade = result.trades[0]!;
    expect(trade.exitReason).toBe('end');
    expect(trade.exitTime, 'the last bar time').toBe(fiveBars.time[4]);
    expectClose(trade.exitPrice, sellPrice, 'last close × (1 − slippage)');
    expectClose(result.equity[4], cash, 'the last equity is the cash after that sale');
    expectClose(result.metrics.exposurePct, 40, 'held at the close of bars 3 and 4');
  });

  it('ignores an entry while holding and an exit while flat', () => {
    const result = runBacktest(fiveBars, new ScriptedStrategy({ 0: 'exit', 1: 'enter', 2: 'enter' }), config);
    expect(
      result.markers.map((m) => m.index),
      'one buy at bar 2, the end sale at bar 4',
    ).toEqual([2, 4]);
  });

  it('does not fill missing bars across a gap: the next stored bar is the next bar', () => {
    const gapped = bars(
      [
        [100, 101, 99, 100],
        [102, 110, 101, 108],
        [109, 112, 107, 110],
        [111, 111, 104, 105],
      ],
      [0, 1, 6, 7],
    );
    const result = runBacktest(gapped, new ScriptedStrategy({ 1: 'enter', 2: 'exit' }), config);
    expect(result.equity.length, 'one equity value per stored bar').toBe(4);
    expect(result.trades[0]!.entryTime, 'the decision on bar 1 fills at the open of the bar after the gap').toBe(T0 + 6 * HOUR);
    expectClose(result.trades[0]!.entryPrice, 109 * 1.01, 'at that bar open');
    expect(result.trades[0]!.exitTime).toBe(T0 + 7 * HOUR);
  });
});

describe('runBacktest: stop loss, take profit, trailing stop', () => {
  const risky = { initialCapital: 1000, feeRate: 0.001, slippage: 0.001, timeframe: '1h' };
  const entry = 102 * 1.001; // bar 1 open with slippage
  const stop = entry * 0.95;
  const target = entry * 1.05;
  const run = (bar2: number[], risk: Partial<CommonParams>) =>
    runBacktest(bars([[100, 101, 99, 100], [102, 103, 101, 102], bar2, [100, 101, 99, 100]]), new ScriptedStrategy({ 0: 'enter' }, risk), risky);

  it('a bar touching both the stop and the target counts the stop, filled at the stop price', () => {
    const trade = run([102, 108, 96, 100], { stopLossPct: 5, takeProfitPct: 5 }).trades[0]!;
    expect(trade.exitReason).toBe('stop_loss');
    expect(trade.exitTime).toBe(T0 + 2 * HOUR);
    expectClose(trade.exitPrice, stop * 0.999, 'stop = entry fill × (1 − 5%), then sell slippage');
    const quantity = 1000 / (entry * 1.001);
    expectClose(trade.fee, 0.001 * entry * quantity + 0.001 * stop * 0.999 * quantity, 'fees on both fills');
  });

  it('a bar opening below the stop fills at its open', () => {
    const trade = run([95, 96, 90, 92], { stopLossPct: 5 }).trades[0]!;
    expect(trade.exitReason).toBe('stop_loss');
    expectClose(trade.exitPrice, 95 * 0.999, 'gap through the stop: the open, with slippage');
  });

  it('take profit fills at the target, or at the open when the bar opens above it', () => {
    const atTarget = run([103, 110, 102, 109], { takeProfitPct: 5 }).trades[0]!;
    expect(atTarget.exitReason).toBe('take_profit');
    expectClose(atTarget.exitPrice, target * 0.999, 'target = entry fill × (1 + 5%)');
    const gapUp = run([109, 111, 108, 110], { takeProfitPct: 5 }).trades[0]!;
    expectClose(gapUp.exitPrice, 109 * 0.999, 'opened above the target: the open');
  });

  it('does not check stops on the entry bar itself', () => {
    const result = runBacktest(
      bars([
        [100, 101, 99, 100],
        [102, 130, 50, 102],
        [102, 103, 101, 102],
      ]),
      new ScriptedStrategy({ 0: 'enter' }, { stopLossPct: 5, takeProfitPct: 5 }),
      risky,
    );
    expect(result.trades[0]!.exitReason, 'bar 1 touched both but was the entry bar').toBe('end');
  });

  it('trails the highest high since entry, moved only after each bar is checked', () => {
    const series = bars([
      [100, 100, 100, 100],
      [100, 120, 99, 110], // entry bar: not checked; the high 120 becomes the reference afterwards
      [115, 118, 109, 116], // level 108: low 109 holds
      [112, 125, 107.5, 120], // level still 108 (125 only counts after this bar): exit at 108
      [120, 121, 119, 120],
    ]);
    const result = runBacktest(series, new ScriptedStrategy({ 0: 'enter' }, { trailingStopPct: 10 }), { ...risky, slippage: 0, feeRate: 0 });
    const trade = result.trades[0]!;
    expect(trade.exitReason).toBe('trailing_stop');
    expect(trade.exitTime).toBe(series.time[3]);
    expectClose(trade.exitPrice, 108, '120 × (1 − 10%)');
  });
});

describe('runBacktest: DCA accumulation', () => {
  it('buys a fixed quote amount every N bars into one position, spending the last cash when less is left', () => {
    const series = bars([
      [10, 10, 10, 10],
      [10, 10, 10, 10],
      [20, 20, 20, 20],
      [20, 20, 20, 20],
      [25, 25, 25, 25],
      [40, 40, 40, 30],
    ]);
    const strategy = createStrategy('dca', { intervalBars: 2, amountPerBuy: 100 });
    const result = runBacktest(series, strategy, { initialCapital: 250, feeRate: 0, slippage: 0, timeframe: '1h' });
    const quantity = 100 / 10 + 100 / 20 + 50 / 40;
    expect(
      result.markers.map((m) => [m.index, m.reason]),
      'decisions on bars 0, 2, 4 fill at 1, 3, 5',
    ).toEqual([
      [1, 'entry'],
      [3, 'add'],
      [5, 'add'],
      [5, 'end'],
    ]);
    expect(result.trades.length, 'adds do not open new trades').toBe(1);
    const trade = result.trades[0]!;
    expectClose(trade.quantity, quantity, 'all buys sum into one position');
    expectClose(trade.entryPrice, 250 / quantity, 'entryPrice is the average fill price');
    expectClose(trade.pnl, quantity * 30 - 250, 'sold at the last close');
    expect(trade.entryTime, 'the first buy').toBe(series.time[1]);
  });
});

describe('runBacktest: progress and cancellation', () => {
  const long = seriesFromRows(Array.from({ length: 50_000 }, (_, i) => [T0 + i * HOUR, 100, 101, 99, 100 + (i % 7), 1]));

  it('reports increasing progress at most ~100 times, ending at 1', () => {
    const fractions: number[] = [];
    runBacktest(long, createStrategy('sma_crossover', {}), config, { onProgress: (f) => fractions.push(f) });
    expect(fractions.length, 'at most about 100 reports').toBeLessThanOrEqual(101);
    expect(fractions.length, 'some progress is reported').toBeGreaterThan(10);
    expect(
      fractions.every((f, k) => k === 0 || f > fractions[k - 1]!),
      'progress only moves forward',
    ).toBe(true);
    expect(fractions.at(-1), 'the last report is completion').toBe(1);
  });

  it('stops with BacktestCancelledError when shouldCancel says so', () => {
    let polls = 0;
    expect(() => runBacktest(long, createStrategy('sma_crossover', {}), config, { shouldCancel: () => ++polls > 3 })).toThrow(BacktestCancelledError);
  });
});

describe('computeMetrics', () => {
  const trade = (pnl: number, pnlPct: number): BacktestTrade => ({
    entryTime: 0,
    exitTime: 1,
    entryPrice: 1,
    exitPrice: 1,
    quantity: 1,
    fee: 0,
    pnl,
    pnlPct,
    exitReason: 'signal',
  });

  it('computes every metric from a hand-made equity curve and trade list', () => {
    const m = computeMetrics({
      equity: Float64Array.from([100, 110, 99, 108.9]),
      trades: [trade(10, 1), trade(-5, -0.5), trade(20, 2), trade(-5, -0.5)],
      initialCapital: 100,
      timeframeMs: HOUR,
      firstTime: T0,
      lastTime: T0 + 3 * HOUR,
      exposedBars: 3,
      buyAndHoldReturnPct: 7,
    });
    // returns +10%, −10%, +10%: mean 1/30, sample sd √(0.04/3), downside dev √(0.01/3)
    const perYear = Math.sqrt(8760);
    expectClose(m.totalReturnPct, 8.9, 'final / initial − 1');
    expectClose(m.sharpeRatio, (1 / 30 / Math.sqrt(0.04 / 3)) * perYear, 'mean / sample sd × √(bars per year)');
    expectClose(m.sortinoRatio, (1 / 30 / Math.sqrt(0.01 / 3)) * perYear, 'mean / downside deviation × √(bars per year)');
    expectClose(m.maxDrawdownPct, 10, 'from the 110 peak to 99');
    expectClose(m.cagrPct, (Math.pow(1.089, 8760 / 4) - 1) * 100, '4 one-hour bars span 4 hours');
    expectClose(m.calmarRatio, m.cagrPct / 10, 'CAGR / max drawdown');
    expect(m.tradeCount).toBe(4);
    expectClose(m.winRatePct, 50, 'two of four trades won');
    expectClose(m.profitFactor!, 3, '30 gross profit / 10 gross loss');
    expectClose(m.averageTradePct, 0.5, 'mean pnlPct');
    expectClose(m.exposurePct, 75, '3 of 4 bars');
    expect(m.buyAndHoldReturnPct).toBe(7);
  });

  it('gives zeros and a null profit factor for a flat run without trades', () => {
    const m = computeMetrics({
      equity: Float64Array.from([100, 100, 100]),
      trades: [],
      initialCapital: 100,
      timeframeMs: HOUR,
      firstTime: T0,
      lastTime: T0 + 2 * HOUR,
      exposedBars: 0,
      buyAndHoldReturnPct: 0,
    });
    expect(m, 'nothing happened').toMatchObject({
      totalReturnPct: 0,
      sharpeRatio: 0,
      sortinoRatio: 0,
      maxDrawdownPct: 0,
      calmarRatio: 0,
      winRatePct: 0,
      profitFactor: null,
      averageTradePct: 0,
    });
  });

  it('buy and hold buys the first open and sells the last close, both with slippage and fee', () => {
    const result = runBacktest(fiveBars, new ScriptedStrategy({}), config);
    const buyPrice = 100 * 1.01;
    const quantity = 1000 / (buyPrice * 1.001);
    const sellPrice = 106 * 0.99;
    const final = sellPrice * quantity * (1 - 0.001);
    expectClose(result.metrics.buyAndHoldReturnPct, (final / 1000 - 1) * 100, 'hand-computed buy and hold');
  });
});
