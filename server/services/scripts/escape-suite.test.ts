import { afterAll, describe, expect, it } from 'vitest';
import { runBacktest } from '@/server/core/backtest/engine';
import { seriesFromRows } from '@/server/core/candles';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { createStrategy } from '@/server/core/strategies/registry';
import { fixtureRows } from '@/server/testing/fixtures';
import { compileScript } from './compile';
import { runScriptBacktest } from './run';
import { ScriptRuntimeError, ScriptSandbox, type SandboxLimits } from './sandbox';

/**
 * Attempts to get out of the sandbox, each of which must fail cleanly (a ScriptRuntimeError with a message the user
 * can act on) and leave this process — the worker — unharmed: after the suite, a template still runs and gives the
 * built-in's numbers, and nothing a script did is visible here.
 */
const series = seriesFromRows(fixtureRows('btc-usd-1h').slice(0, 2_000));
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };
// Time limits with room for a busy machine: a healthy script finishes far below them, an endless one reaches them.
const limits: SandboxLimits = { memoryMb: 96, loadTimeoutMs: 2_000, backtestTimeoutMs: 3_000, decisionTimeoutMs: 1_000 };

async function js(source: string): Promise<string> {
  const compiled = await compileScript(source);
  if (!compiled.ok) throw new Error(`does not compile: ${JSON.stringify(compiled.diagnostics)}`);
  return compiled.js;
}

/** A strategy whose module body runs `body` at load and whose onBar runs `onBar` (ctx, position in scope). */
function script({ body = '', onBar = 'return null;', parameters = '{}' }: { body?: string; onBar?: string; parameters?: string }): string {
  return `import { defineStrategy, log } from '@cryptobot/sdk';
${body}
export default defineStrategy({
  name: 'attempt',
  description: 'an escape attempt',
  parameters: ${parameters},
  create: () => ({ warmup: 0, accumulates: false, fixedEntryQuote: null, reset() {}, onBar(ctx: any, position: any): any { ${onBar} } }) as any,
});
void log;`;
}

async function failure(source: string, within: SandboxLimits = limits): Promise<ScriptRuntimeError> {
  try {
    await runScriptBacktest('script:attempt@1', await js(source), series, {}, config, within);
  } catch (error) {
    expect(error, 'a script failure, never another kind of error').toBeInstanceOf(ScriptRuntimeError);
    return error as ScriptRuntimeError;
  }
  throw new Error('the attempt did not fail');
}

describe('sandbox escape attempts', () => {
  it('process is not there', async () => {
    expect((await failure(script({ body: 'process.exit(1);' }))).message).toBe('ReferenceError: process is not defined');
  });

  it('require of a Node module is refused, by require() or by import', async () => {
    expect((await failure(script({ body: "declare const require: any; require('node:fs');" }))).message).toMatch(
      /can import only "@cryptobot\/sdk" \(it imported "node:fs"\)/,
    );
    expect((await failure(`import fs from 'node:child_process';\n${script({ body: 'void fs;' })}`)).message).toMatch(/it imported "node:child_process"/);
  });

  it('import() never yields a module', async () => {
    const { sandbox } = await ScriptSandbox.load(
      await js(script({ body: "import('node:fs').then((m: any) => log('got', typeof m.readFileSync), (e: any) => log('refused', String(e && e.message)));" })),
      limits,
    );
    try {
      await sandbox.backtest(series, { positionSizePct: 100, stopLossPct: null, takeProfitPct: null, trailingStopPct: null }, config);
      const lines = sandbox.takeLog().lines.join('\n');
      expect(lines, 'the import was refused').toMatch(/^refused a script can import only "@cryptobot\/sdk" \(it imported "node:fs"\)/);
      expect(lines).not.toMatch(/got/);
    } finally {
      sandbox.dispose();
    }
  });

  it("the constructor chain reaches only the isolate's own Function and globals", async () => {
    const error = await failure(
      script({
        body: `const F = (function () {}).constructor as FunctionConstructor;
const g = F('return this')();
const viaParams = ({}).constructor.constructor('return globalThis')();
throw new Error('host reachable: ' + [typeof g.process, typeof g.require, typeof viaParams.process, typeof g.setTimeout, typeof g.fetch, typeof g.Atomics, typeof g.SharedArrayBuffer].join(','));`,
      }),
    );
    expect(error.message).toBe('Error: host reachable: undefined,undefined,undefined,undefined,undefined,undefined,undefined');
  });

  it('prototype pollution stays in the isolate of the run: never on the host, never in the next run', async () => {
    const polluter = await js(
      script({
        body: "(Object.prototype as any).polluted = 'yes'; (Array.prototype as any).push = function () { return 0; };",
        onBar: 'return null;',
      }),
    );
    await runScriptBacktest('script:attempt@1', polluter, series, {}, config, limits);
    expect(({} as Record<string, unknown>).polluted, 'the host prototype is untouched').toBeUndefined();
    expect([1].push(2), 'the host Array.prototype.push is untouched').toBe(2);
    const probe = await failure(script({ body: "throw new Error('next run sees: ' + String(({} as any).polluted));" }));
    expect(probe.message, 'a fresh isolate per run').toBe('Error: next run sees: undefined');
    const viaDeclaration = await failure(
      script({ parameters: `JSON.parse('{"__proto__": {"polluted": {"type": "boolean", "default": true, "description": "x"}}}')` }),
    );
    expect(viaDeclaration.message).toBe("the script's declaration is invalid: __proto__ is not allowed as a key");
    expect((await failure(script({ parameters: '{ constructor: { type: "boolean", default: true, description: "x" } }' }))).message).toMatch(
      /parameters\.constructor: constructor is a reserved name/,
    );
    expect(({} as Record<string, unknown>).polluted, 'the host prototype is untouched').toBeUndefined();
  });

  it('an infinite loop is stopped by the time limit', async () => {
    const error = await failure(script({ body: "log('loaded');", onBar: "log('looping from bar', ctx.index); for (;;) {}" }));
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe('the script ran longer than its time limit (3 s) and was stopped');
    expect(error.log, 'what it printed before it was stopped is read back from the isolate').toEqual({ lines: ['loaded', 'looping from bar 0'], dropped: 0 });
  });

  it('an infinite loop at load is stopped by the load time limit', async () => {
    expect((await failure(script({ body: 'while (true) {}' }))).message).toBe('the script ran longer than its time limit (2 s) and was stopped');
  });

  it('deep recursion is a stack overflow in the script', async () => {
    expect((await failure(script({ body: 'const down = (n: number): number => down(n + 1) + 1; down(0);' }))).message).toBe(
      'RangeError: Maximum call stack size exceeded',
    );
  });

  it('a memory bomb is stopped at the memory limit', async () => {
    // A time limit far above what filling 96 MB takes, so only the memory limit can stop it (on a busy machine too).
    const error = await failure(script({ onBar: 'const hoard: number[][] = []; for (;;) hoard.push(new Array(1e6).fill(ctx.index));' }), {
      ...limits,
      backtestTimeoutMs: 60_000,
    });
    expect(error.kind).toBe('memory');
    expect(error.message).toBe('the script went over its memory limit (96 MB) and was stopped');
  });

  it('huge logs are capped: 200 lines of at most 500 characters, the rest counted', async () => {
    const compiled = await js(script({ onBar: "log('x'.repeat(100_000)); return null;" }));
    const { log } = await runScriptBacktest('script:attempt@1', compiled, series, {}, config, { ...limits, backtestTimeoutMs: 30_000 });
    expect(log.lines).toHaveLength(200);
    expect(log.lines.every((line) => line.length <= 501)).toBe(true);
    expect(log.dropped).toBe(series.length - 200);
  });

  it('a catastrophic regular expression is stopped by the time limit', async () => {
    const error = await failure(script({ onBar: "return /^(a+)+$/.test('a'.repeat(40) + 'b') ? 'enter' : null;" }));
    expect(error.kind).toBe('timeout');
  });

  it('returning something other than a decision is an error naming the bar', async () => {
    expect((await failure(script({ onBar: 'return { then: () => 1 };' }))).message).toBe(
      "Error: onBar must return 'enter', 'exit' or null; on bar 0 it returned object",
    );
    expect((await failure(script({ onBar: "return 'buy';" }))).message).toBe("Error: onBar must return 'enter', 'exit' or null; on bar 0 it returned \"buy\"");
    expect((await failure(script({ parameters: '{ period: { type: "integer", default: () => 1, description: "x" } } as any' }))).message).toMatch(
      /declaration is invalid: parameters\.period/,
    );
  });

  it('throwing non-errors is reported without running the thrown value', async () => {
    expect((await failure(script({ onBar: 'throw 42;' }))).message).toBe('the script threw 42');
    expect((await failure(script({ onBar: "throw 'nope';" }))).message).toBe('the script threw a string: nope');
    expect((await failure(script({ onBar: 'throw { toString() { for (;;) {} } };' }))).message).toBe('the script threw a non-error value ([object Object])');
    expect((await failure(script({ onBar: 'throw null;' }))).message).toBe('the script threw null');
  });

  it('mutating the candles is refused, and the engine fills on the real candles anyway', async () => {
    expect((await failure(script({ onBar: 'ctx.series.close[ctx.index] = 0; return null;' }))).message).toBe(
      'Error: the script changed its candles (close[0]); candles are read-only',
    );
  });

  it('the series a script sees ends at the current bar: no look-ahead', async () => {
    const peeking = await js(
      script({
        onBar: `const i = ctx.index;
if (ctx.series.length !== i + 1) throw new Error('length ' + ctx.series.length + ' at bar ' + i);
return Number.isNaN(ctx.series.close[i + 1]) && !Number.isNaN(ctx.series.close[i]) ? null : 'enter';`,
      }),
    );
    const { result } = await runScriptBacktest('script:attempt@1', peeking, series, {}, config, limits);
    expect(result.trades, 'the next bar is never visible').toHaveLength(0);
  });

  it('the candles a script is handed expose only the bars shown: not the candles they are copied from, not how they are shown', async () => {
    const prying = await js(
      script({
        onBar: `const s: any = ctx.series;
const reach = [typeof s.source, typeof s.reveal, typeof s.forget, typeof s.put, typeof s.view, Object.getOwnPropertyNames(s).length, Object.isFrozen(s)].join();
if (reach !== 'undefined,undefined,undefined,undefined,undefined,0,true') throw new Error('reachable: ' + reach);
return null;`,
      }),
    );
    const { result } = await runScriptBacktest('script:attempt@1', prying, series, {}, config, limits);
    expect(result.equity, 'the run went through every bar without reaching anything').toHaveLength(series.length);
  });

  it('patched builtins never see the candles after the current bar: the runtime hands them through nothing a script defined', async () => {
    // The ways the candles once passed through code a script can replace — an array method, the array iterator, a
    // typed array method, the ArrayBuffer byteLength getter, Float64Array's instanceof, the global constructor — each
    // keeping whatever it is handed; onBar then looks for a column holding a bar after the current one.
    const collector = await js(
      script({
        body: `const seen: Record<number, unknown> = Object.create(null);
let count = 0;
const keep = (value: unknown) => { seen[count++] = value; return value; };
const apply = Reflect.apply;
const A: any = Array.prototype, T: any = Object.getPrototypeOf(Float64Array.prototype);
const map = A.map; A.map = function (this: any, ...args: any[]) { keep(this); return keep(apply(map, this, args)); };
const iterator = A[Symbol.iterator]; A[Symbol.iterator] = function (this: any) { keep(this); return apply(iterator, this, []); };
for (const name of ['subarray', 'set', 'slice']) { const original = T[name]; T[name] = function (this: any, ...args: any[]) { keep(this); keep(args[0]); return apply(original, this, args); }; }
const byteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;
Object.defineProperty(ArrayBuffer.prototype, 'byteLength', { get(this: any) { keep(this); return apply(byteLength, this, []); } });
Object.defineProperty(Float64Array, Symbol.hasInstance, { value: (value: unknown) => { keep(value); return true; } });
const F = Float64Array;
(globalThis as any).Float64Array = function (a: any, b: any, c: any) { keep(a); return c === undefined ? (b === undefined ? new F(a) : new F(a, b)) : new F(a, b, c); };
(globalThis as any).__seen = () => ({ seen, count, F });`,
        onBar: `const { seen, count, F } = (globalThis as any).__seen();
const shown = ctx.series.length;
const ahead = (column: any) => column instanceof Object && typeof column.length === 'number' && column.length > shown && column !== ctx.series.close && typeof column[shown] === 'number' && column[shown] === column[shown];
for (let k = 0; k < count; k++) {
  const value: any = seen[k];
  if (Object.prototype.toString.call(value) === '[object ArrayBuffer]') { if (ahead(new F(value))) throw new Error('a buffer of every bar, at bar ' + ctx.index); continue; }
  if (ahead(value)) throw new Error('a column of every bar, at bar ' + ctx.index);
  if (Object.prototype.toString.call(value) === '[object Array]') for (let c = 0; c < value.length; c++) if (ahead(value[c])) throw new Error('columns of every bar, at bar ' + ctx.index);
}
return null;`,
      }),
    );
    const { result } = await runScriptBacktest('script:attempt@1', collector, series, {}, config, { ...limits, backtestTimeoutMs: 30_000 });
    expect(result.equity, 'no bar after the current one reached the script').toHaveLength(series.length);
  });

  // Tricks that once handed a script the candles after the current bar during the bias check (core/scripts/bias.ts,
  // core/robustness/bias.ts) or a backtest (the engine's options): each patch keeps what it is handed, and the
  // look-ahead check's runs then look in it for a bar after the one they decide on.
  const PATCHES: [string, string][] = [
    [
      'Array.prototype.map (the bias check copied the candles with it)',
      `const map = A.map; A.map = function (this: any, ...args: any[]) { keep(this); return keep(apply(map, this, args)); };`,
    ],
    [
      "a typed array's subarray and set",
      `for (const name of ['subarray', 'set']) { const original = T[name]; T[name] = function (this: any, ...args: any[]) { keep(this); keep(args[0]); return apply(original, this, args); }; }`,
    ],
    [
      'Symbol.species, through Float64Array.prototype.constructor (slice and subarray ask it)',
      `Object.defineProperty(Float64Array.prototype, 'constructor', { get(this: any) { keep(this); return F; }, configurable: true });`,
    ],
    [
      "a typed array's length accessor",
      `Object.defineProperty(T, 'length', { get(this: any) { keep(this); return apply(lengthOf, this, []); }, configurable: true });`,
    ],
    [
      "accessors on Object.prototype for a series' price columns (the perturbed series kept them in a record)",
      `for (const name of ['open', 'high', 'low', 'close']) Object.defineProperty(O, name, { get(this: any) { keep(this); return undefined; }, set(this: any, value: unknown) { keep(this); keep(value); Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true }); }, configurable: true });`,
    ],
    [
      "the engine's options on Object.prototype (indicatorColumns and useColumns handed over the series)",
      `O.indicatorColumns = {}; O.useColumns = function (this: any, ...args: any[]) { keep(args[0]); };`,
    ],
  ];

  /**
   * A script whose module body runs `patch` (with `keep`, which holds what it is handed) and whose first three
   * instances — a backtest's one; the look-ahead check's reference, guarded and perturbed runs — throw on any bar
   * where something kept holds a candle after that bar. Later instances (the recursive check's) do not look: by then
   * the script has seen every bar in the look-ahead runs and may remember them (docs/strategies.md).
   */
  function collector(patch: string): string {
    return `import { defineStrategy } from '@cryptobot/sdk';
const kept = new Set<unknown>();
const keep = (value: unknown) => { if (value !== null && (typeof value === 'object' || typeof value === 'function')) kept.add(value); return value; };
const apply = Reflect.apply, F = Float64Array, isArray = Array.isArray, tagOf = Object.prototype.toString;
const A: any = Array.prototype, T: any = Object.getPrototypeOf(Float64Array.prototype), O: any = Object.prototype;
const lengthOf = Object.getOwnPropertyDescriptor(T, 'length')!.get!, bufferOf = Object.getOwnPropertyDescriptor(T, 'buffer')!.get!;
${patch}
const aheadIn = (column: any, shown: number) => apply(lengthOf, column, []) > shown && column[shown] > 0;
/** a candle value (all are positive) at bar \`shown\` — after the current one — in a column, its memory, an array of columns or a series */
function ahead(value: any, shown: number, depth = 0): boolean {
  const tag = apply(tagOf, value, []);
  if (tag === '[object Float64Array]') return aheadIn(value, shown) || aheadIn(new F(apply(bufferOf, value, [])), shown);
  if (tag === '[object ArrayBuffer]') return aheadIn(new F(value), shown);
  if (depth > 0) return false;
  if (isArray(value)) { for (let k = 0; k < value.length; k++) if (ahead(value[k], shown, 1)) return true; return false; }
  return tag === '[object Object]' && (ahead(value.close, shown, 1) || ahead(value.time, shown, 1));
}
let made = 0;
export default defineStrategy({
  name: 'attempt',
  description: 'an escape attempt',
  parameters: {},
  create: () => {
    const number = ++made;
    return { warmup: 0, accumulates: false, fixedEntryQuote: null, reset() {}, onBar(ctx: any): any {
      if (number <= 3) for (const value of kept) if (ahead(value, ctx.series.length)) throw new Error('run ' + number + ' holds a bar after the current one, at bar ' + ctx.index);
      return null;
    } } as any;
  },
});`;
  }

  const allParams = { positionSizePct: 100, stopLossPct: null, takeProfitPct: null, trailingStopPct: null };

  it.each(PATCHES)('patched builtins see no bar after the current one during the bias check: %s', async (_trick, patch) => {
    const { sandbox } = await ScriptSandbox.load(await js(collector(patch)), { ...limits, backtestTimeoutMs: 30_000 });
    try {
      const report = await sandbox.biasCheck(series, allParams, config);
      expect(report.lookahead, 'the look-ahead runs went through every bar without reaching a later one').toEqual({ passed: true });
    } finally {
      sandbox.dispose();
    }
  });

  it("the engine's options are its caller's own: a script's Object.prototype gets no series in a backtest", async () => {
    const patch = PATCHES.find(([trick]) => trick.startsWith("the engine's options"))![1];
    const { result } = await runScriptBacktest('script:attempt@1', await js(collector(patch)), series, {}, config, limits);
    expect(result.equity, 'the run went through every bar without reaching a later one').toHaveLength(series.length);
  });

  it("a script's JSON and Object.freeze change neither its parameters, nor its fees, nor the metrics the host is sent", async () => {
    const template = SCRIPT_TEMPLATES.find((t) => t.type === 'sma_crossover')!;
    const patched = `${template.source}
const parse = JSON.parse, stringify = JSON.stringify;
JSON.parse = ((text: string) => { const value = parse(text); if (value !== null && typeof value === 'object' && 'feeRate' in value) { value.feeRate = 0; value.slippage = 0; } return value; }) as any;
Object.defineProperty(Object.prototype, 'toJSON', { value(this: any) { return 'totalReturnPct' in this ? { ...this, totalReturnPct: 1e6 } : this; }, configurable: true, writable: true });
JSON.stringify = ((value: unknown) => stringify(value)) as any;
const freeze = Object.freeze;
Object.freeze = ((value: any) => freeze(value !== null && typeof value === 'object' && 'stopLossPct' in value ? { ...value, positionSizePct: 10 } : value)) as any;`;
    const { result } = await runScriptBacktest('script:sma@1', await js(patched), series, {}, config, limits);
    expect(result.metrics, "the built-in's metrics: the host's fees, the engine's numbers").toEqual(
      runBacktest(series, createStrategy('sma_crossover', {}), config).metrics,
    );
  });

  it('a column first read late shows every bar up to the current one, and nothing after it', async () => {
    // Columns are made on a script's first read of them (runtime.ts, SeriesView): one read first at bar 500 must
    // hold bars 0..500 exactly as the candles have them, NaN after.
    const late = await js(
      script({
        onBar: `const i = ctx.index;
if (i < 500) return null;
const v = ctx.series.volume, h = ctx.series.high;
for (let k = 0; k <= i; k++) if (Number.isNaN(v[k]) || Number.isNaN(h[k])) throw new Error('bar ' + k + ' hidden at ' + i);
if (i + 1 < v.length && (!Number.isNaN(v[i + 1]) || !Number.isNaN(h[i + 1]))) throw new Error('bar ' + (i + 1) + ' visible at ' + i);
return v[i] === ${'${VOL}'} && h[i] === ${'${HIGH}'} && i === 500 ? 'enter' : null;`,
      })
        .replace('${VOL}', String(series.volume[500]))
        .replace('${HIGH}', String(series.high[500])),
    );
    const { result } = await runScriptBacktest('script:attempt@1', late, series, {}, config, limits);
    expect(result.trades.map((t) => t.entryTime)).toEqual([series.time[501]]);
    expect((await failure(script({ onBar: 'if (ctx.index === 700) ctx.series.low[3] = 1; return null;' }))).message).toBe(
      'Error: the script changed its candles (low[3]); candles are read-only',
    );
  });

  it('timers and the network are not there', async () => {
    expect((await failure(script({ body: 'setTimeout(() => {}, 0);' }))).message).toBe('ReferenceError: setTimeout is not defined');
    expect((await failure(script({ body: "fetch('http://127.0.0.1:9');" }))).message).toBe('ReferenceError: fetch is not defined');
  });

  afterAll(async () => {
    // The worker is unharmed: a template still runs in a fresh sandbox and matches the built-in.
    const template = SCRIPT_TEMPLATES.find((t) => t.type === 'sma_crossover')!;
    const { result } = await runScriptBacktest('script:sma@1', await js(template.source), series, {}, config);
    expect(result.metrics).toEqual(runBacktest(series, createStrategy('sma_crossover', {}), config).metrics);
  });
});
