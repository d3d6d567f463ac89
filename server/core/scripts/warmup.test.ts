import { describe, expect, it } from 'vitest';
import { checkScriptDescription, scriptWarmup } from './description';
import { declaredWarmup, parseWarmup, WarmupExpressionError } from './warmup';

describe("a script's declared warm-up", () => {
  it('evaluates arithmetic, max/min and conditionals over the parameters', () => {
    expect(declaredWarmup('max(fastPeriod, slowPeriod)', { fastPeriod: 5, slowPeriod: 20 })).toBe(20);
    expect(declaredWarmup('max(fastPeriod, slowPeriod) + signalPeriod - 1', { fastPeriod: 12, slowPeriod: 26, signalPeriod: 9 })).toBe(34);
    expect(declaredWarmup("entryMode == 'cross' ? period + 1 : period", { period: 14, entryMode: 'cross' })).toBe(15);
    expect(declaredWarmup("entryMode == 'cross' ? period + 1 : period", { period: 14, entryMode: 'level' })).toBe(14);
    expect(declaredWarmup('ceil(period * 1.5) - (2 * 3)', { period: 11 })).toBe(11);
    expect(declaredWarmup('0', {})).toBe(0);
  });

  it('refuses anything else: unknown names, calls, JavaScript, fractions and negatives', () => {
    expect(() => parseWarmup('max(a, b)', ['a'])).toThrow(/b is not a parameter/);
    expect(() => parseWarmup('eval(a)', ['a'])).toThrow(/eval\(\) is not one of/);
    expect(() => parseWarmup('a.constructor', ['a'])).toThrow(WarmupExpressionError);
    expect(() => parseWarmup('a; 1', ['a'])).toThrow(WarmupExpressionError);
    expect(() => parseWarmup('(a', ['a'])).toThrow(/expected "\)"/);
    expect(() => parseWarmup('', [])).toThrow(/empty/);
    expect(() => declaredWarmup('a / 2', { a: 5 })).toThrow(/not a whole number/);
    expect(() => declaredWarmup('a - 10', { a: 5 })).toThrow(/not a whole number/);
  });

  it('is checked with the declarations at save time, and read by the host with validated params (0 undeclared)', () => {
    const base = { name: 'x', description: '', parameters: { period: { type: 'integer', default: 10, description: '' } } };
    const bad = checkScriptDescription({ ...base, warmup: 'max(period, lookback)' });
    expect(bad).toEqual({ ok: false, issues: ['warmup: lookback is not a parameter of this strategy'] });
    const good = checkScriptDescription({ ...base, warmup: 'period + 1' });
    if (!good.ok) throw new Error(good.issues.join());
    expect(scriptWarmup(good.meta, { period: 30 })).toBe(31);
    const undeclared = checkScriptDescription(base);
    if (!undeclared.ok) throw new Error(undeclared.issues.join());
    expect(scriptWarmup(undeclared.meta, { period: 30 })).toBe(0);
  });
});
