import { describe, expect, it } from 'vitest';
import { getStrategyDefinition } from '../strategies/registry';
import { generateGrid, SweepError } from './sweep';

const sma = getStrategyDefinition('sma_crossover');
const meanReversion = getStrategyDefinition('mean_reversion');

function sweepError(run: () => unknown): SweepError {
  try {
    run();
  } catch (error) {
    expect(error, 'sweep validation raises SweepError').toBeInstanceOf(SweepError);
    return error as SweepError;
  }
  return expect.fail('expected a SweepError');
}

describe('generateGrid', () => {
  it('expands ranges inclusively and lists, fills defaults, and skips combinations breaking cross-parameter rules', () => {
    const grid = generateGrid(sma, { fastPeriod: { min: 10, max: 30, step: 10 }, slowPeriod: { values: [20, 40] } });
    expect(grid.total, '3 fast × 2 slow').toBe(6);
    expect(grid.skipped, 'fast 20/20, 30/20 break fast < slow').toBe(2);
    expect(
      grid.combos.map((c) => [c.fastPeriod, c.slowPeriod]),
      'odometer order, last parameter fastest',
    ).toEqual([
      [10, 20],
      [10, 40],
      [20, 40],
      [30, 40],
    ]);
    expect(grid.combos[0], 'common parameters defaulted').toMatchObject({ positionSizePct: 100, stopLossPct: null });
  });

  it('rounds float steps so 0.1 steps land on decimal values', () => {
    const grid = generateGrid(meanReversion, { entryThreshold: { min: 1, max: 1.3, step: 0.1 } });
    expect(
      grid.combos.map((c) => c.entryThreshold),
      'no 1.2000000000000002',
    ).toEqual([1, 1.1, 1.2, 1.3]);
  });

  it('sweeps common parameters and keeps base params', () => {
    const grid = generateGrid(sma, { stopLossPct: { values: [1, 2] } }, { baseParams: { fastPeriod: 5 } });
    expect(grid.combos.map((c) => [c.fastPeriod, c.stopLossPct])).toEqual([
      [5, 1],
      [5, 2],
    ]);
  });

  it.each([
    [{ nope: { values: [1] } }, 'nope', /unknown parameter/],
    [{ fastPeriod: { min: 1.5, max: 5, step: 1 } }, 'fastPeriod', /integer/],
    [{ fastPeriod: { min: 5, max: 1, step: 1 } }, 'fastPeriod', /min must not exceed max/],
    [{ fastPeriod: { min: 1, max: 5, step: 0 } }, 'fastPeriod', /step/],
    [{ fastPeriod: { values: [0, 5] } }, 'fastPeriod', /at least 1/],
    [{ fastPeriod: { values: [] } }, 'fastPeriod', /non-empty/],
  ])('rejects %j naming %s', (ranges, param, message) => {
    const error = sweepError(() => generateGrid(sma, ranges as never));
    expect(error.param, 'names the parameter').toBe(param);
    expect(error.message).toMatch(message);
  });

  it('refuses grids larger than the cap before building them', () => {
    const error = sweepError(() => generateGrid(sma, { fastPeriod: { min: 1, max: 200, step: 1 }, slowPeriod: { min: 2, max: 1000, step: 1 } }));
    expect(error.message, 'says why').toMatch(/more than 10000 combinations/);
    expect(generateGrid(sma, { fastPeriod: { min: 1, max: 5, step: 1 } }, { maxCombinations: 5 }).combos.length, 'at the cap is fine').toBe(5);
  });
});
