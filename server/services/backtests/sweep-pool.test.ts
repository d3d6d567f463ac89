import { describe, expect, it } from 'vitest';
import { allocateSharedSeries } from '@/server/core/candles';
import { runBacktest } from '@/server/core/backtest/engine';
import { generateGrid } from '@/server/core/backtest/sweep';
import { BacktestCancelledError } from '@/server/core/backtest/types';
import { createStrategy, getStrategyDefinition } from '@/server/core/strategies/registry';
import { fixtureSeries } from '@/server/testing/fixtures';
import { releaseSweepSeries, runSweep, shareSeries } from './sweep-pool';

const series = fixtureSeries('btc-usd-1h');
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };

describe('runSweep (worker_threads over one SharedArrayBuffer)', () => {
  it('returns, per combination, exactly the metrics of the single-threaded engine', async () => {
    const grid = generateGrid(getStrategyDefinition('sma_crossover'), {
      fastPeriod: { min: 5, max: 25, step: 5 },
      slowPeriod: { values: [30, 60, 90] },
      stopLossPct: { values: [2, 5] },
    });
    const progress: number[] = [];
    const results = await runSweep(
      { series, strategyType: 'sma_crossover', combos: grid.combos, config },
      { threads: 2, onProgress: (done) => progress.push(done) },
    );
    expect(results.length, 'one result per combination').toBe(grid.combos.length);
    for (const [index, result] of results.entries()) {
      expect(result.index).toBe(index);
      expect(result.error, `combination ${index} ran`).toBeNull();
      const single = runBacktest(series, createStrategy('sma_crossover', grid.combos[index]), config).metrics;
      expect(result.metrics, `combination ${index} equals the in-thread run`).toEqual(single);
    }
    expect(progress.at(-1), 'progress reaches the total').toBe(grid.combos.length);
  });

  it('sweeps that share a seriesKey (a walk-forward fold’s batches) reuse the threads’ columns and still equal single runs', async () => {
    const grid = generateGrid(getStrategyDefinition('sma_crossover'), { fastPeriod: { values: [5, 10, 20] }, slowPeriod: { values: [30, 60] } });
    // Three calls in a row over the same candles, as a fold's search batches run; one thread, so every later batch
    // lands on the thread that ran the first.
    const batches = async (seriesKey: string | undefined) => {
      const warm: boolean[][] = [];
      for (const combos of [grid.combos.slice(0, 2), grid.combos.slice(2, 4), grid.combos.slice(4)]) {
        const chunks: boolean[] = [];
        const results = await runSweep(
          { series, strategyType: 'sma_crossover', combos, config, seriesKey },
          { threads: 1, onChunk: (c) => chunks.push(c.warm) },
        );
        for (const result of results) {
          expect(result.metrics).toEqual(runBacktest(series, createStrategy('sma_crossover', combos[result.index]), config).metrics);
        }
        warm.push(chunks);
      }
      return warm;
    };
    const keyed = await batches('fold-key-test');
    expect(keyed[1]![0], 'the second batch starts on the state the first left').toBe(true);
    expect(keyed[2]![0], 'and so does the third').toBe(true);
    releaseSweepSeries('fold-key-test');
    const released = await batches('fold-key-test');
    expect(released[0]![0], 'released: the key starts cold again').toBe(false);
    expect(released[1]![0]).toBe(true);
    const unkeyed = await batches(undefined);
    expect(
      unkeyed.map((chunks) => chunks[0]),
      'without a key each sweep starts cold',
    ).toEqual([false, false, false]);
  });

  it('sweeps at once, each held to one thread, with chunks queued ahead on the threads: every result still its own', async () => {
    const combosA = Array.from({ length: 24 }, (_, k) => ({ fastPeriod: 3 + (k % 12), slowPeriod: 40 + 2 * k }));
    const combosB = Array.from({ length: 17 }, (_, k) => ({ fastPeriod: 5 + (k % 7), slowPeriod: 90 + k }));
    const [a, b] = await Promise.all([
      runSweep({ series, strategyType: 'sma_crossover', combos: combosA, config }, { threads: 1 }),
      runSweep({ series, strategyType: 'ema_crossover', combos: combosB, config }, { threads: 1 }),
    ]);
    expect(a.map((r) => r.index)).toEqual(combosA.map((_, k) => k));
    expect(b.map((r) => r.index)).toEqual(combosB.map((_, k) => k));
    for (const [k, r] of a.entries()) expect(r.metrics, `A ${k}`).toEqual(runBacktest(series, createStrategy('sma_crossover', combosA[k]), config).metrics);
    for (const [k, r] of b.entries()) expect(r.metrics, `B ${k}`).toEqual(runBacktest(series, createStrategy('ema_crossover', combosB[k]), config).metrics);
  });

  it('reports a failing combination without failing the others', async () => {
    const results = await runSweep({ series, strategyType: 'rsi', combos: [{ period: 14 }, { period: -1 }], config }, { threads: 2 });
    expect(results[0]!.metrics, 'the valid one ran').not.toBeNull();
    expect(results[1]!.error, 'the invalid one names its parameter').toMatch(/period/);
  });

  it('shares an already shared series without copying it', () => {
    const shared = allocateSharedSeries(series.length);
    shared.series.close.set(series.close);
    expect(shareSeries(shared.series).buffer, 'the same buffer is handed to the workers').toBe(shared.buffer);
    expect(shareSeries(series).buffer, 'a plain series is copied once into shared memory').toBeInstanceOf(SharedArrayBuffer);
  });

  it('rejects with BacktestCancelledError when aborted', async () => {
    const controller = new AbortController();
    const combos = Array.from({ length: 200 }, (_, k) => ({ fastPeriod: 2 + (k % 20), slowPeriod: 50 + k }));
    const run = runSweep(
      { series, strategyType: 'sma_crossover', combos, config },
      { threads: 2, signal: controller.signal, onProgress: () => controller.abort() },
    );
    await expect(run, 'aborting stops the sweep').rejects.toBeInstanceOf(BacktestCancelledError);
  });
});
