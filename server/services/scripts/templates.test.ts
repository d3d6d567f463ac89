import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '@/server/core/backtest/engine';
import { seriesFromRows } from '@/server/core/candles';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { createStrategy, listBarStrategyDefinitions } from '@/server/core/strategies/registry';
import { fixtureRows } from '@/server/testing/fixtures';
import { scriptWarmup } from '@/server/core/scripts/description';
import { parseParams } from '@/server/core/strategies/params';
import { getStrategyDefinition } from '@/server/core/strategies';
import { compileScript } from './compile';
import { checkScriptSource } from './static-check';
import { runScriptBacktest } from './run';

/** Every built-in that decides on bars (a signal strategy has nothing to write as a script). */
const BAR_TYPES = listBarStrategyDefinitions().map((d) => d.type);

// Coinbase BTC/USD 1h, 2017-07 → 2019-10: 20,106 real candles.
const series = seriesFromRows(fixtureRows('btc-usd-1h'));
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };

const variants: Array<[string, Record<string, unknown>]> = [
  ...BAR_TYPES.map((type): [string, Record<string, unknown>] => [type, {}]),
  ['sma_crossover', { fastPeriod: 5, slowPeriod: 20, stopLossPct: 2, takeProfitPct: 4 }],
  ['ema_crossover', { fastPeriod: 8, slowPeriod: 50, trailingStopPct: 3, positionSizePct: 40 }],
  ['mean_reversion', { lookbackPeriod: 30, entryThreshold: 1.5, trailingStopPct: 3, positionSizePct: 50 }],
  ['rsi', { period: 10, oversold: 25, overbought: 65, entryMode: 'level' }],
  ['dca', { intervalBars: 48, amountPerBuy: 200, takeProfitPct: 10 }],
];

describe('script templates', () => {
  it('there is one template per built-in strategy', () => {
    expect(SCRIPT_TEMPLATES.map((t) => t.type).sort()).toEqual([...BAR_TYPES].sort());
  });

  it('templates-source.ts holds the current text of every templates/*.ts file (npx tsx server/cli/script-templates.ts)', () => {
    const dir = path.join(process.cwd(), 'server/core/scripts/templates');
    for (const template of SCRIPT_TEMPLATES) expect(template.source, template.type).toBe(fs.readFileSync(path.join(dir, `${template.type}.ts`), 'utf8'));
  });

  it.each(variants)('%s %j run as a script backtests exactly like the built-in', async (type, params) => {
    const template = SCRIPT_TEMPLATES.find((t) => t.type === type)!;
    const compiled = await compileScript(template.source);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const builtIn = runBacktest(series, createStrategy(type, params), config);
    const { result } = await runScriptBacktest(`script:test@1`, compiled.js, series, params, config);
    expect(builtIn.trades.length, 'the strategy trades on this data').toBeGreaterThan(0);
    expect(result.metrics, 'identical metrics').toEqual(builtIn.metrics);
    expect(result.trades, 'identical trades').toEqual(builtIn.trades);
    expect(result.markers, 'identical fills').toEqual(builtIn.markers);
    expect(Buffer.from(result.equity.buffer).equals(Buffer.from(builtIn.equity.buffer)), 'identical equity, bit for bit').toBe(true);
  });

  it('the script cross-parameter rule rejects like the built-in, naming the parameter', async () => {
    const compiled = await compileScript(SCRIPT_TEMPLATES.find((t) => t.type === 'sma_crossover')!.source);
    if (!compiled.ok) throw new Error('template does not compile');
    await expect(runScriptBacktest('script:x@1', compiled.js, series, { fastPeriod: 40, slowPeriod: 20 }, config)).rejects.toMatchObject({
      name: 'StrategyParamsError',
      issues: [{ param: 'fastPeriod', message: 'fastPeriod must be less than slowPeriod' }],
    });
    await expect(runScriptBacktest('script:x@1', compiled.js, series, { fastPeriod: 0 }, config)).rejects.toMatchObject({
      name: 'StrategyParamsError',
      issues: [{ param: 'fastPeriod', message: 'fastPeriod must be at least 1' }],
    });
  });

  it.each(variants)('%s %j declares the warm-up its built-in has (read from the source without running it)', (type, params) => {
    const checked = checkScriptSource(SCRIPT_TEMPLATES.find((t) => t.type === type)!.source);
    if (!checked.ok) throw new Error(JSON.stringify(checked.diagnostics));
    const definition = getStrategyDefinition(type);
    expect(scriptWarmup(checked.meta, parseParams(definition, params))).toBe(createStrategy(type, params).warmup);
  });

  it('a run whose instance has another warm-up than the declared one fails, saying both', async () => {
    const source = SCRIPT_TEMPLATES.find((t) => t.type === 'sma_crossover')!.source.replace(
      "warmup: 'max(fastPeriod, slowPeriod)'",
      "warmup: 'slowPeriod + 1'",
    );
    const compiled = await compileScript(source);
    if (!compiled.ok) throw new Error('does not compile');
    await expect(runScriptBacktest('script:x@1', compiled.js, series, { fastPeriod: 5, slowPeriod: 20 }, config)).rejects.toThrow(
      "the instance's warmup is 20 bars, but the definition declares warmup 'slowPeriod + 1' = 21 with these parameters",
    );
  });
});
