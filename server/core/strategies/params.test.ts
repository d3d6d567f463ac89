import { describe, expect, it } from 'vitest';
import { paramsSchema, parseParams, StrategyParamsError } from './params';
import { listStrategyDefinitions, createStrategy, UnknownStrategyError } from './registry';
import { rsiStrategy } from './rsi';
import { smaCrossover } from './sma-crossover';

function issueFor(input: unknown): { param: string; message: string } {
  try {
    parseParams(smaCrossover, input);
  } catch (error) {
    expect(error, 'validation errors are StrategyParamsError').toBeInstanceOf(StrategyParamsError);
    return (error as StrategyParamsError).issues[0]!;
  }
  return expect.fail(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('strategy parameter schema', () => {
  it('fills missing parameters with their defaults, common ones included', () => {
    expect(parseParams(smaCrossover, {}), 'defaults for everything').toEqual({
      fastPeriod: 10,
      slowPeriod: 30,
      positionSizePct: 100,
      stopLossPct: null,
      takeProfitPct: null,
      trailingStopPct: null,
    });
    expect(parseParams(smaCrossover, { slowPeriod: 50, stopLossPct: 2.5 }), 'given values kept').toMatchObject({ slowPeriod: 50, stopLossPct: 2.5 });
  });

  it.each([
    [{ fastPeriod: 10.5 }, 'fastPeriod', /integer/],
    [{ fastPeriod: 0 }, 'fastPeriod', /at least 1/],
    [{ slowPeriod: 100_000 }, 'slowPeriod', /at most/],
    [{ fastPeriod: '10' }, 'fastPeriod', /number/],
    [{ fastPeriod: Number.NaN }, 'fastPeriod', /number/],
    [{ slowPeriod: Number.POSITIVE_INFINITY }, 'slowPeriod', /./],
    [{ positionSizePct: 0 }, 'positionSizePct', /greater than 0/],
    [{ positionSizePct: 100.5 }, 'positionSizePct', /at most 100/],
    [{ stopLossPct: -1 }, 'stopLossPct', /greater than 0/],
    [{ trailingStopPct: 100 }, 'trailingStopPct', /less than 100/],
    [{ fastPeriod: 40, slowPeriod: 30 }, 'fastPeriod', /less than slowPeriod/],
  ])('rejects %j naming %s', (input, param, message) => {
    const issue = issueFor(input);
    expect(issue.param, 'the issue names the parameter').toBe(param);
    expect(issue.message, 'the message names the parameter').toContain(param);
    expect(issue.message).toMatch(message);
  });

  it('rejects unknown parameters by name', () => {
    const issue = issueFor({ fastPeriod: 5, fastPeriodd: 6 });
    expect(issue.message, 'the unknown key is named').toContain('fastPeriodd');
  });

  it('accepts only declared enum options and booleans of the right type', () => {
    expect(parseParams(rsiStrategy, { entryMode: 'level' }).entryMode).toBe('level');
    expect(() => parseParams(rsiStrategy, { entryMode: 'sideways' }), 'not an option').toThrow(/entryMode must be one of cross, level/);
  });

  it('exposes the zod schema for the API layer (safeParse with a path per parameter)', () => {
    const result = paramsSchema(smaCrossover).safeParse({ slowPeriod: 1 });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path, 'path is the parameter name').toEqual(['slowPeriod']);
  });

  it('every registered definition: defaults are valid and create an instance', () => {
    for (const definition of listStrategyDefinitions()) {
      const params = parseParams(definition, {});
      const instance = definition.create(params);
      expect(instance.warmup, `${definition.type} has a non-negative warmup`).toBeGreaterThanOrEqual(0);
      for (const [name, spec] of Object.entries(definition.parameters)) {
        expect(spec.description.length, `${definition.type}.${name} is documented`).toBeGreaterThan(5);
      }
    }
  });

  it('createStrategy rejects unknown types and bad params', () => {
    expect(() => createStrategy('nope', {})).toThrow(UnknownStrategyError);
    expect(() => createStrategy('sma_crossover', { fastPeriod: -3 })).toThrow(StrategyParamsError);
  });
});
