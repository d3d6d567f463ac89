import { describe, expect, it } from 'vitest';
import { runBacktest } from '../backtest/engine';
import { seriesFromRows, sliceByTime } from '../candles';
import { createStrategy } from '../strategies/registry';
import { ColumnBuffers, IndicatorColumns } from './columns';
import { tickSums } from './decimal-ticks';
import { EMA, ema } from './ema';
import { SMA, sma } from './sma';
import { fixtureRows } from '@/server/testing/fixtures';

const rows = fixtureRows('btc-usd-1h');
const series = seriesFromRows(rows);
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };

/** A seeded random walk with, when `awkward`, NaN, ±Infinity, zeros and huge values mixed in. */
function walk(length: number, seed: number, awkward: boolean): Float64Array {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const special = [Number.NaN, Infinity, -Infinity, 0, -0, 1e308, -1e308, Number.MIN_VALUE];
  const out = new Float64Array(length);
  let price = 100;
  for (let i = 0; i < length; i++) {
    price *= 1 + (random() - 0.5) * 0.05;
    out[i] = awkward && random() < 0.03 ? special[Math.floor(random() * special.length)]! : price;
  }
  return out;
}

describe('batch SMA/EMA (the columns) equal the streaming classes bit for bit', () => {
  it.each([
    ['plain', false],
    ['with NaN, ±Infinity, zeros and extremes', true],
  ])('%s inputs', (_label, awkward) => {
    for (let trial = 0; trial < 200; trial++) {
      const values = walk(1 + ((trial * 37) % 400), trial + 1, awkward as boolean);
      const period = 1 + (trial % 45);
      const smaColumn = sma(values, period);
      const emaColumn = ema(values, period);
      const smaStream = new SMA(period);
      const emaStream = new EMA(period);
      for (let i = 0; i < values.length; i++) {
        const s = smaStream.update(values[i]!) ?? Number.NaN;
        const e = emaStream.update(values[i]!) ?? Number.NaN;
        if (!Object.is(smaColumn[i], s)) expect.fail(`SMA(${period}) at ${i}: column ${smaColumn[i]}, streaming ${s}`);
        if (!Object.is(emaColumn[i], e)) expect.fail(`EMA(${period}) at ${i}: column ${emaColumn[i]}, streaming ${e}`);
      }
    }
  });

  it('step(x) is update(x) ?? NaN', () => {
    const values = walk(300, 9, true);
    const [a, b, c, d] = [new SMA(14), new SMA(14), new EMA(14), new EMA(14)];
    for (const v of values) {
      expect(Object.is(a.step(v), b.update(v) ?? Number.NaN)).toBe(true);
      expect(Object.is(c.step(v), d.update(v) ?? Number.NaN)).toBe(true);
      expect([a.value, a.isStable, c.value, c.isStable]).toEqual([b.value, b.isStable, d.value, d.isStable]);
    }
  });
});

describe('IndicatorColumns', () => {
  it('computes a column once per input and key, and evicts the least recently used beyond its budget', () => {
    const input = walk(1000, 3, false);
    const columns = new IndicatorColumns(8 * 1000 * 3, 2); // room for three columns of 1,000 values
    let computed = 0;
    const get = (period: number) => columns.get(input, `sma:${period}`, (v) => (computed++, sma(v, period)));
    const first = get(5);
    expect(get(5), 'the same array again').toBe(first);
    get(6);
    get(7);
    expect(computed).toBe(3);
    get(5); // 5 is now the most recent; 6 is the oldest
    get(8); // evicts 6
    expect(columns.size).toBe(3);
    get(5);
    get(7);
    expect(computed, '5 and 7 were kept').toBe(4);
    get(6);
    expect(computed, '6 had been evicted').toBe(5);
    expect(
      columns.get(walk(1000, 3, false), 'sma:5', (v) => sma(v, 5)),
      'keyed by the input array itself, not its values',
    ).not.toBe(first);
  });

  it('writes new columns over the arrays a released cache gave back, every value as a fresh array holds it', () => {
    const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const buffers = new ColumnBuffers();
    const first = new IndicatorColumns(undefined, undefined, buffers);
    const input = walk(1000, 5, true);
    const sums = first.get(input, 'tick-sum:5', (v, out) => tickSums(v, 5, out))!;
    const average = first.get(input, 'ema:9', (v, out) => ema(v, 9, out))!;
    expect(buffers.heldBytes, 'nothing given back yet').toBe(0);
    first.release();
    expect(first.size).toBe(0);
    expect(buffers.heldBytes).toBe(2 * 8 * 1000);
    // Another cache, another input of the same length: its columns land in those two arrays, old values and all.
    const second = new IndicatorColumns(undefined, undefined, buffers);
    const other = walk(1000, 6, true);
    const ema20 = second.get(other, 'ema:20', (v, out) => ema(v, 20, out))!;
    const sums3 = second.get(other, 'tick-sum:3', (v, out) => tickSums(v, 3, out))!;
    expect([sums, average], 'the given-back arrays were reused').toContain(ema20);
    expect([sums, average]).toContain(sums3);
    expect(Buffer.compare(bytes(ema20), bytes(ema(other, 20))), 'EMA(20) bit for bit').toBe(0);
    expect(Buffer.compare(bytes(sums3), bytes(tickSums(other, 3))), 'tick sums of 3 bit for bit').toBe(0);
    expect(buffers.heldBytes, 'both taken').toBe(0);
    const third = second.get(walk(500, 7, false), 'ema:4', (v, out) => ema(v, 4, out))!;
    expect(third.length, 'another length: a fresh array').toBe(500);
  });

  it('ColumnBuffers holds at most maxBytes, dropping what it was given first', () => {
    const buffers = new ColumnBuffers(8 * 100 * 3);
    const arrays = [0, 1, 2, 3].map(() => new Float64Array(100));
    for (const a of arrays) buffers.give(a);
    expect(buffers.heldBytes).toBe(8 * 100 * 3);
    const taken = [buffers.take(100), buffers.take(100), buffers.take(100)];
    expect(taken).not.toContain(arrays[0]);
    expect(new Set(taken)).toEqual(new Set(arrays.slice(1)));
    expect(buffers.take(100)).toBeUndefined();
    buffers.give(new Float64Array(1000));
    expect(buffers.heldBytes, 'larger than the whole budget: not kept').toBe(0);
  });

  it('declines columns it could hold fewer than minColumns of', () => {
    const columns = new IndicatorColumns(8 * 100 * 4, 8);
    expect(columns.get(walk(100, 1, false), 'sma:3', (v) => sma(v, 3))).toBeNull();
  });
});

describe('strategies reading shared columns decide exactly as streaming ones', () => {
  const variants: Array<[string, Record<string, unknown>]> = [
    ['sma_crossover', {}],
    ['sma_crossover', { fastPeriod: 5, slowPeriod: 20, stopLossPct: 2, takeProfitPct: 4 }],
    ['sma_crossover', { fastPeriod: 20, slowPeriod: 100, trailingStopPct: 3, positionSizePct: 50 }],
    ['ema_crossover', {}],
    ['ema_crossover', { fastPeriod: 8, slowPeriod: 21, stopLossPct: 1.5 }],
  ];

  it('the same trades, fills, equity and metrics with columns shared across runs (and one equity array reused, as a sweep thread runs)', () => {
    const shared = new IndicatorColumns();
    const equityBuffer = new Float64Array(series.length + 10).fill(Number.NaN);
    for (const [type, params] of variants) {
      const plain = runBacktest(series, createStrategy(type, params), config);
      const withColumns = runBacktest(series, createStrategy(type, params), config, { indicatorColumns: shared, equityBuffer });
      expect(withColumns.equity.buffer, 'the equity was written into the given array').toBe(equityBuffer.buffer);
      expect(withColumns.equity.length).toBe(series.length);
      expect(withColumns.trades, `${type} ${JSON.stringify(params)}: trades`).toEqual(plain.trades);
      expect(withColumns.markers, 'fills').toEqual(plain.markers);
      expect(withColumns.metrics, 'metrics').toEqual(plain.metrics);
      const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      expect(Buffer.compare(bytes(withColumns.equity), bytes(plain.equity)), 'equity, bit for bit').toBe(0);
    }
    expect(shared.size, 'the runs shared their columns').toBeGreaterThan(0);
    expect(() => runBacktest(series, createStrategy('sma_crossover', {}), config, { equityBuffer: new Float64Array(10) }), 'a buffer too short').toThrow(
      RangeError,
    );
  });

  it('the same with the columns written over arrays another series’ columns gave back (a sweep thread’s next fold)', () => {
    const buffers = new ColumnBuffers();
    const earlier = new IndicatorColumns(undefined, undefined, buffers);
    const other = sliceByTime(series, series.time[0]!, series.time[2000]!);
    const window = sliceByTime(series, series.time[1000]!, series.time[3000]!);
    for (const [type, params] of variants) runBacktest(other, createStrategy(type, params), config, { indicatorColumns: earlier });
    earlier.release();
    expect(buffers.heldBytes, 'the earlier fold gave its columns back').toBeGreaterThan(0);
    const next = new IndicatorColumns(undefined, undefined, buffers);
    for (const [type, params] of variants) {
      const plain = runBacktest(window, createStrategy(type, params), config);
      const reused = runBacktest(window, createStrategy(type, params), config, { indicatorColumns: next });
      expect(reused.trades, `${type} ${JSON.stringify(params)}: trades`).toEqual(plain.trades);
      expect(reused.metrics, 'metrics').toEqual(plain.metrics);
    }
    expect(buffers.heldBytes, 'the next fold took them').toBe(0);
  });

  it('drop the columns and rebuild the streaming state when called for another series or out of order', () => {
    const window = sliceByTime(series, series.time[1000]!, series.time[3000]!);
    const columns = new IndicatorColumns();
    const withColumns = createStrategy('sma_crossover', { fastPeriod: 5, slowPeriod: 20 });
    const streaming = createStrategy('sma_crossover', { fastPeriod: 5, slowPeriod: 20 });
    withColumns.useColumns!(series, columns);
    const decide = (strategy: typeof streaming, s: typeof series, i: number) => [
      strategy.onBar({ series: s, index: i }),
      strategy.shouldOpenPosition({ series: s, index: i }),
    ];
    for (let i = 0; i < 200; i++) expect(decide(withColumns, series, i)).toEqual(decide(streaming, series, i));
    // Another series whose previous bar is not the last one seen: both replay it from its first bar.
    for (let i = 150; i < 400; i++) expect(decide(withColumns, window, i), `window bar ${i}`).toEqual(decide(streaming, window, i));
    // Back to the first series, jumping ahead: both replay again.
    for (let i = 900; i < 1000; i++) expect(decide(withColumns, series, i), `bar ${i}`).toEqual(decide(streaming, series, i));
  });
});
