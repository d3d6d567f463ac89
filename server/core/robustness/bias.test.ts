import { describe, expect, it } from 'vitest';
import { seriesFromRows, type CandleSeries } from '../candles';
import { createStrategy, listStrategyDefinitions } from '../strategies';
import { fixtureRows } from '@/server/testing/fixtures';
import { AllHistoryMeanStrategy, firstPeekingEntry, PeekingStrategy } from '@/server/testing/strategies/biased';
import { checkBias, checkLookahead, checkRecursive, recursiveMinimumBars, recursiveSettleBars, reflectAfter, RECURSIVE_SEGMENTS } from './bias';

const series = seriesFromRows(fixtureRows('btc-usd-1h').slice(0, 6000));
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };

describe('bias checks on the built-in strategies', () => {
  it.each(listStrategyDefinitions().map((d) => d.type))('%s has no look-ahead', (type) => {
    expect(checkLookahead(series, () => createStrategy(type, {}), config)).toEqual({ passed: true });
  });

  it.each(listStrategyDefinitions().map((d) => d.type))('%s: recursive', (type) => {
    const finding = checkRecursive(series, () => createStrategy(type, {}));
    if (type === 'dca') {
      // dca's schedule is counted from the first bar it sees (docs/strategies.md): a later start shifts it.
      expect(finding.passed, 'a schedule counted from the first bar depends on where the series starts').toBe(false);
    } else expect(finding).toEqual({ passed: true });
  });
});

describe('look-ahead check', () => {
  it('flags a strategy that reads the next bar at the first bar it decides on with it', () => {
    const expected = firstPeekingEntry(series);
    expect(expected, 'the fixture has such a bar').toBeGreaterThan(0);
    const finding = checkLookahead(series, () => new PeekingStrategy(), config);
    expect(finding.passed).toBe(false);
    expect(finding.bar).toBe(expected);
    expect(finding.time).toBe(series.time[expected]);
    expect(finding.detail).toContain(`bar ${expected}`);
    expect(finding.detail).toContain("'enter' with the whole series but 'none' when the bars after it are hidden");
  });

  it('flags a strategy that only reads the future when the series lets it (guarded by length), through the changed bars', () => {
    // Reads five bars ahead but never past series.length: hidden bars are never read, changed ones are.
    class BoundedPeek extends PeekingStrategy {
      protected override entrySignal(s: CandleSeries, i: number): boolean {
        const ahead = i + 5 < s.length ? s.close[i + 5]! : s.close[i]!;
        return ahead > s.close[i]! * 1.03;
      }
    }
    const finding = checkLookahead(series, () => new BoundedPeek(), config);
    expect(finding.passed).toBe(false);
    let expected = -1;
    for (let i = 0; i + 5 < series.length; i++)
      if (series.close[i + 5]! > series.close[i]! * 1.03) {
        expected = i;
        break;
      }
    expect(finding.bar, 'hiding the bars after i changes the first decision that used bar i + 5').toBe(expected);
  });

  it('reflects the bars after the cut in log price, keeping candles valid', () => {
    const s = seriesFromRows([
      [0, 10, 12, 9, 11, 1],
      [1, 11, 14, 10, 12, 1],
      [2, 12, 16, 8, 10, 1],
    ]);
    const r = reflectAfter(s, 1);
    expect(Array.from(r.close)).toEqual([11, 12, 14.4]);
    expect(Array.from(r.open)).toEqual([10, 11, 12]);
    expect(Array.from(r.high)).toEqual([12, 14, 18]);
    expect(Array.from(r.low)).toEqual([9, 10, 9]);
  });
});

describe('recursive check', () => {
  it('flags an all-history average at the first compared bar whose condition differs with less history', () => {
    const finding = checkRecursive(series, () => new AllHistoryMeanStrategy());
    expect(finding.passed).toBe(false);
    // Recompute independently: the first quarter of each quarter of the bars [2H, n), each re-run from H bars before it.
    const settle = recursiveSettleBars(1);
    const first = 2 * settle;
    const quarter = Math.ceil((series.length - first) / RECURSIVE_SEGMENTS);
    const width = Math.ceil(quarter / RECURSIVE_SEGMENTS);
    const aboveFrom = (from: number, i: number) => {
      let sum = 0;
      for (let k = from; k <= i; k++) sum += series.close[k]!;
      return series.close[i]! > sum / (i - from + 1);
    };
    let expected = -1;
    for (let i = first; i < series.length && expected < 0; i++) {
      const windowStart = first + Math.floor((i - first) / quarter) * quarter;
      if (i >= windowStart + width) continue;
      const from = windowStart - settle;
      if (aboveFrom(0, i) !== aboveFrom(from, i)) expected = i;
    }
    expect(finding.bar).toBe(expected);
    expect(finding.detail).toContain(`after ${settle}`);
  });

  it('refuses a series too short to compare anything', () => {
    const short = seriesFromRows(fixtureRows('btc-usd-1h').slice(0, recursiveMinimumBars(30) - 1));
    expect(() => checkRecursive(short, () => createStrategy('sma_crossover', {}))).toThrow(/at least \d+ bars/);
  });

  it('checkBias reports both findings with progress to 1', () => {
    const fractions: number[] = [];
    const report = checkBias(series, () => new AllHistoryMeanStrategy(), config, { onProgress: (f) => fractions.push(f) });
    expect(report.lookahead, 'an all-history mean reads no future bar').toEqual({ passed: true });
    expect(report.recursive.passed).toBe(false);
    expect(report.bars).toBe(series.length);
    expect(fractions.at(-1)).toBe(1);
  });
});
