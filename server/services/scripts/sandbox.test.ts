import { describe, expect, it } from 'vitest';
import { seriesFromRows } from '@/server/core/candles';
import { fixtureRows } from '@/server/testing/fixtures';
import { compileScript } from './compile';
import { runScriptBacktest } from './run';
import { ScriptRuntimeError, ScriptSandbox, sparesForTest, type SandboxLimits } from './sandbox';

/**
 * The isolates a sandbox is given: each one new, made ahead as a spare when the previous sandbox is disposed, handed
 * to one sandbox only and disposed with it. Nothing a script leaves in its isolate reaches another run.
 */
const series = seriesFromRows(fixtureRows('btc-usd-1h').slice(0, 500));
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };
const params = { positionSizePct: 100, stopLossPct: null, takeProfitPct: null, trailingStopPct: null };
// A memory limit of their own, so that other tests' spares do not mix with these.
const limits: SandboxLimits = { memoryMb: 80, loadTimeoutMs: 2_000, backtestTimeoutMs: 10_000, decisionTimeoutMs: 1_000 };

async function js(body: string, onBar = 'return null;'): Promise<string> {
  const compiled = await compileScript(`import { defineStrategy } from '@cryptobot/sdk';
${body}
export default defineStrategy({
  name: 'probe',
  description: 'what a run can see',
  parameters: {},
  create: () => ({ warmup: 0, accumulates: false, fixedEntryQuote: null, reset() {}, onBar(ctx: any): any { ${onBar} } }) as any,
});`);
  if (!compiled.ok) throw new Error(`does not compile: ${JSON.stringify(compiled.diagnostics)}`);
  return compiled.js;
}

/** Leaves everything it can in its isolate: a global, patched builtins, written candles, a pending callback. */
const litter = js(
  `(globalThis as any).leftover = 'from the first run';
(Object.prototype as any).polluted = 'yes';
(Array.prototype as any).includes = () => true;
Math.max = () => 42;
new FinalizationRegistry(() => { (globalThis as any).late = true; }).register({}, 0);
Promise.resolve().then(() => { (globalThis as any).queued = true; });`,
  'ctx.series.close[0] = -1; return null;',
);

/** What a run sees of the above, as one line of text in its error. */
const probe = js(`throw new Error(JSON.stringify([
  typeof (globalThis as any).leftover, typeof (globalThis as any).late, typeof (globalThis as any).queued,
  ({} as any).polluted, [1].includes(2), Math.max(1, 2),
]));`);

describe('the isolates scripts run in', () => {
  it('are new for every sandbox: a run never sees what the previous one left, the spare is given out once', async () => {
    const first = await ScriptSandbox.load(await litter, limits);
    const firstIsolate = first.sandbox.isolateForTest;
    await expect(first.sandbox.backtest(series, params, config)).rejects.toThrow(/the script changed its candles \(close\[0\]\)/);
    expect(await first.sandbox.evalForTest('leftover'), 'the litter is there in its own isolate').toBe('from the first run');
    first.sandbox.dispose();
    expect(firstIsolate.isDisposed, 'disposed with its sandbox').toBe(true);

    const spare = sparesForTest().get(limits.memoryMb);
    expect(spare, 'the next isolate is made ahead when a sandbox is disposed').toBeDefined();
    const spareIsolate = (await spare!).isolate;
    expect(spareIsolate).not.toBe(firstIsolate);

    const second = await ScriptSandbox.load(await probe, limits).catch((error: unknown) => error);
    expect(second, 'the probe throws what it sees as it loads').toBeInstanceOf(ScriptRuntimeError);
    expect((second as ScriptRuntimeError).message, 'no global, patched builtin or pending callback of the first run').toBe(
      'Error: ["undefined","undefined","undefined",null,false,2]',
    );
    expect(spareIsolate.isDisposed, 'the spare was the probe sandbox: disposed after its failed load').toBe(true);

    // Two sandboxes loading at once get two isolates: a spare is handed out once.
    const pair = await Promise.all([ScriptSandbox.load(await js(''), limits), ScriptSandbox.load(await js(''), limits)]);
    const [a, b] = pair.map(({ sandbox }) => sandbox);
    expect(a!.isolateForTest).not.toBe(b!.isolateForTest);
    expect([a!.isolateForTest, b!.isolateForTest]).not.toContain(spareIsolate);
    const runs = await Promise.all([a!.backtest(series, params, config), b!.backtest(series, params, config)]);
    expect(runs[0]!.equity, 'both run from the candles as given (the first run wrote only its own copy)').toEqual(runs[1]!.equity);
    expect(runs[0]!.equity[0]).toBe(config.initialCapital);
    a!.dispose();
    b!.dispose();
  });

  it('an isolate stopped at its memory limit is gone, and the next run gets a new one', async () => {
    const bomb = await ScriptSandbox.load(await js('', 'const hoard: number[][] = []; for (;;) hoard.push(new Array(1e6).fill(ctx.index));'), {
      ...limits,
      backtestTimeoutMs: 60_000,
    });
    const bombIsolate = bomb.sandbox.isolateForTest;
    const error = await bomb.sandbox.backtest(series, params, config).catch((e: unknown) => e);
    expect((error as ScriptRuntimeError).kind).toBe('memory');
    expect(bombIsolate.isDisposed, 'isolated-vm disposed it').toBe(true);
    expect(bomb.sandbox.disposed).toBe(true);
    await expect(bomb.sandbox.backtest(series, params, config), 'never used again').rejects.toThrow('the sandbox was disposed');
    const next = await runScriptBacktest('script:probe@1', await js(''), series, {}, config, limits);
    expect(next.result.equity).toHaveLength(series.length);
  });
});

describe('the candles handed to an isolate', () => {
  it('must be whole columns: a short one is refused, never padded with whatever the worker held in that memory', async () => {
    const short = { ...series, volume: series.volume.subarray(0, series.length - 1) };
    const { sandbox } = await ScriptSandbox.load(await js(''), limits);
    try {
      await expect(sandbox.backtest(short, params, config)).rejects.toThrow(RangeError);
      expect((await sandbox.backtest(series, params, config)).equity, 'the sandbox still runs whole candles').toHaveLength(series.length);
    } finally {
      sandbox.dispose();
    }
  });
});
