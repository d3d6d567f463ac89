import { describe, expect, it } from 'vitest';
import { seriesFromRows } from '../candles';
import { parseParams } from './params';
import { listBarStrategyDefinitions } from './registry';
import { fixtureRows } from '@/server/testing/fixtures';

const series = seriesFromRows(fixtureRows('btc-usd-1h').slice(0, 1200));

/** Non-default parameters for each strategy with plots, so a plot that ignored its params would differ. */
const nonDefault: Record<string, Record<string, unknown>> = {
  sma_crossover: { fastPeriod: 7, slowPeriod: 25 },
  ema_crossover: { fastPeriod: 9, slowPeriod: 40 },
  mean_reversion: { lookbackPeriod: 30, entryThreshold: 1.5, exitThreshold: 0.2 },
  rsi: { period: 10, oversold: 35, overbought: 65 },
  macd: { fastPeriod: 8, slowPeriod: 21, signalPeriod: 5 },
  donchian_breakout: { entryPeriod: 15, exitPeriod: 40 },
};

const SAMPLED_BARS = [0, 1, 6, 9, 10, 14, 20, 24, 25, 26, 29, 30, 31, 39, 40, 41, 100, 517, 1199];

// A signal strategy decides nothing on bars: nothing to plot.
describe.each(listBarStrategyDefinitions().map((d) => d.type))('plots of %s', (type) => {
  const definition = listBarStrategyDefinitions().find((d) => d.type === type)!;

  it('declares a plotValues for its plots, one value per bar under every declared name', () => {
    if (type === 'dca') {
      expect(definition.plots ?? [], 'DCA has no indicator').toEqual([]);
      return;
    }
    expect(definition.plots?.length, `${type} declares its plots`).toBeGreaterThan(0);
    const params = parseParams(definition, nonDefault[type] ?? {});
    const values = definition.plotValues!(series, params);
    expect(Object.keys(values).sort()).toEqual(definition.plots!.map((p) => p.name).sort());
    for (const plot of definition.plots!) {
      expect(values[plot.name]!.length).toBe(series.length);
      expect(Number.isFinite(values[plot.name]![series.length - 1]), `${plot.name} defined at the last bar`).toBe(true);
    }
  });
});

describe.each(
  listBarStrategyDefinitions()
    .filter((d) => d.plots !== undefined)
    .map((d) => d.type),
)('plotted values of %s', (type) => {
  const definition = listBarStrategyDefinitions().find((d) => d.type === type)!;

  it('are at sampled bars exactly the values the decisions read at those bars', () => {
    const params = parseParams(definition, nonDefault[type] ?? {});
    const plotted = definition.plotValues!(series, params);
    const instance = definition.create(params);
    expect(instance.plotState, `${type} exposes its decision state`).toBeTypeOf('function');
    let sampled = 0;
    let defined = 0;
    for (let i = 0; i < series.length; i++) {
      instance.onBar({ series, index: i }, null);
      if (!SAMPLED_BARS.includes(i)) continue;
      const state = instance.plotState!();
      for (const plot of definition.plots!) {
        const value = plotted[plot.name]![i]!;
        expect(Object.is(value, state[plot.name]), `${plot.name} at bar ${i}: plotted ${value}, decision read ${state[plot.name]}`).toBe(true);
        if (!Number.isNaN(value)) defined++;
      }
      sampled++;
    }
    expect(sampled).toBe(SAMPLED_BARS.length);
    expect(defined, 'the sampled bars past the warm-up compare defined values').toBeGreaterThanOrEqual(8);
  });
});
