/**
 * The code that runs inside a script's V8 isolate (bundled with the SDK and the backtest engine by
 * server/services/scripts/sandbox.ts). It loads the user's compiled module, describes it, and runs a whole
 * backtest in the isolate: candles come in once as typed arrays, results go out once, nothing crosses per bar.
 *
 * Contract with the host (every entry point returns a ScriptReply, never throws, so that nothing the script throws
 * — an Error, a number, an object with a hostile getter — reaches the host; only strings, numbers and typed arrays
 * we build here leave):
 *   load(js) → ScriptDescription as JSON
 *   backtest(candles, paramsJson, configJson) → metrics; its equity, trade rows and fill rows wait in the outbox
 *   plotValues(candles, paramsJson) → the declared plots' names; one Float64Array per plot waits in the outbox
 *   outboxArray(k) → the k-th typed array of the last reply (not a ScriptReply: a bare Float64Array, taken once)
 *   liveStart(paramsJson) → warmup, accumulates, fixedEntryQuote of the deployment's instance (live.ts)
 *   liveBar(candles, from, index, position) → the decision on the close of bar `index` (one per closed candle)
 *   biasCheck(candles, paramsJson, configJson) → the bias checks' report (bias.ts)
 * where `candles` is one ArrayBuffer holding the six columns one after the other (moved in without a second copy).
 * Big arrays leave through the outbox, one call each, so that the host takes each with a single copy
 * (isolated-vm's `externalCopy`, then moved into the host's heap): inside a reply object they would go through V8's
 * structured-clone serializer, which copies each one two or three times into fresh memory (30-80 ms for 1M bars).
 *
 * Look-ahead is impossible by construction: the strategy never sees the engine's candles, only its own copy in which
 * the bars after the current one are NaN and `length` is the number of bars up to the current one (SeriesView).
 * The engine runs on the pristine candles, so a script that writes into its copy changes nothing but its own view,
 * and is told so at the end of the run. A deployment's script (liveBar) is never handed a bar after the one it
 * decides on: the host sends bars up to `index` only (live.ts).
 */
import type { CandleSeries } from '../candles';
import { runBacktest } from '../backtest/engine';
import type { BacktestConfig } from '../backtest/types';
import type { ParamIssue, StrategyInstance } from '../strategies/types';
import { SandboxedInstance } from './instance';
import { SeriesView } from '../strategies/series-view';
import { LiveRun, type LiveShape } from './live';
import { scriptBiasCheck } from './bias';
import type { ScriptDefinition } from './sdk';
import * as sdk from './sdk';
import { log, takeLog } from './log';
import { declaredWarmup } from './warmup';

export { SDK_MODULE } from './runtime-contract';
import { SDK_MODULE } from './runtime-contract';

/**
 * Taken when the runtime loads, before any script (as the candles' intrinsics below): a script that replaced
 * JSON.parse or Object.freeze would choose its own parameters and fees, one that replaced JSON.stringify or put a
 * `toJSON` on Object.prototype would choose the metrics the host is sent.
 */
const parseJson = JSON.parse;
const stringifyJson = JSON.stringify;
const objectAssign = Object.assign;
const objectCreate = Object.create;
const objectFreeze = Object.freeze;

export type ScriptReply<T> =
  { ok: true; value: T; log: string[]; logDropped: number } | { ok: false; error: string; paramIssue?: ParamIssue; log: string[]; logDropped: number };

/** What `load` tells the host about a script (checked again there, strictly). */
export interface ScriptDescription {
  name: string;
  description: string;
  parameters: unknown;
  plots: unknown;
  warmup?: unknown;
  hasPlotValues: boolean;
}

/** A backtest's reply; its equity, trade rows and fill rows are outbox arrays 0, 1 and 2. */
export interface BacktestReply {
  metricsJson: string;
}

/** A plotValues reply: plot `names[k]`'s values are outbox array k. */
export interface PlotValuesReply {
  names: string[];
}

/** The typed arrays of the last reply, each handed to the host once (outboxArray). */
let outbox: (Float64Array | null)[] = [];

function toOutbox(arrays: Float64Array[]): void {
  outbox = arrays;
}

/** Outbox array k, once; an empty array when there is none (the host checks the length it expects). */
function outboxArray(k: number): Float64Array {
  const array = Number.isInteger(k) && k >= 0 && k < outbox.length ? outbox[k]! : null;
  if (array === null) return new Float64Array(0);
  outbox[k] = null;
  return array;
}

/** A thrown value of any kind, as one line of text, computed without trusting it. */
function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) {
      const name = typeof thrown.name === 'string' ? thrown.name : 'Error';
      const message = typeof thrown.message === 'string' ? thrown.message : '';
      return `${name}: ${message}`.slice(0, 2000);
    }
    if (typeof thrown === 'string') return `the script threw a string: ${thrown.slice(0, 2000)}`;
    if (typeof thrown === 'number' || typeof thrown === 'boolean' || thrown === null || thrown === undefined) return `the script threw ${String(thrown)}`;
    return `the script threw a non-error value (${Object.prototype.toString.call(thrown)})`;
  } catch {
    return 'the script threw a value that could not be described';
  }
}

function reply<T>(work: () => T): ScriptReply<T> {
  try {
    const value = work();
    return { ok: true, value, ...logTail() };
  } catch (thrown) {
    if (thrown instanceof ParamsRejected) return { ok: false, error: thrown.message, paramIssue: thrown.issue, ...logTail() };
    return { ok: false, error: describeThrown(thrown), ...logTail() };
  }
}

function logTail(): { log: string[]; logDropped: number } {
  const { lines, dropped } = takeLog();
  return { log: lines, logDropped: dropped };
}

class ParamsRejected extends Error {
  constructor(readonly issue: ParamIssue) {
    super(`invalid parameters: ${issue.message}`);
  }
}

let definition: ScriptDefinition | null = null;

function requireModule(name: unknown): unknown {
  if (name === SDK_MODULE) return sdk;
  throw new Error(`a script can import only "${SDK_MODULE}" (it imported "${String(name)}"): there are no Node modules, network or files in the sandbox`);
}

function load(js: string): string {
  if (definition !== null) throw new Error('a script is already loaded in this sandbox');
  const module: { exports: Record<string, unknown> } = { exports: {} };
  // The isolate's own Function: the script can reach nothing but this isolate's globals (see sandbox.ts).
  const factory = new Function('require', 'module', 'exports', `"use strict";\n${js}`) as (r: unknown, m: unknown, e: unknown) => void;
  factory(requireModule, module, module.exports);
  const exported = module.exports.default;
  if (exported === null || typeof exported !== 'object') throw new Error('the script must `export default defineStrategy({...})`');
  const def = exported as ScriptDefinition;
  if (typeof def.create !== 'function') throw new Error('the default export must have a create(params) function that returns the strategy instance');
  if (def.validate !== undefined && typeof def.validate !== 'function') throw new Error('validate must be a function');
  if (def.plotValues !== undefined && typeof def.plotValues !== 'function') throw new Error('plotValues must be a function');
  definition = def;
  const description: ScriptDescription = {
    name: def.name,
    description: def.description,
    parameters: def.parameters,
    plots: def.plots ?? [],
    ...(def.warmup !== undefined && { warmup: def.warmup }),
    hasPlotValues: typeof def.plotValues === 'function',
  };
  return JSON.stringify(description);
}

function loaded(): ScriptDefinition {
  if (definition === null) throw new Error('no script loaded');
  return definition;
}

/**
 * The script's instance for `params`; with a declared warm-up (warmup.ts), the instance's `warmup` must be what the
 * declaration gives: the host checks ranges against the declaration, the engine runs with the instance's.
 */
function created(params: Record<string, unknown>): StrategyInstance {
  const def = loaded();
  const inner = def.create({ ...params } as never) as StrategyInstance;
  if (typeof def.warmup === 'string' && inner !== null && typeof inner === 'object') {
    const declared = declaredWarmup(def.warmup, params);
    const actual = inner.warmup ?? 0;
    if (actual !== declared)
      throw new Error(
        `the instance's warmup is ${String(actual)} bars, but the definition declares warmup '${def.warmup}' = ${declared} with these parameters`,
      );
  }
  return inner;
}

function seriesOf(columns: readonly Float64Array[]): CandleSeries {
  const [time, open, high, low, close, volume] = columns;
  const length = time!.length;
  for (const column of columns)
    if (!(column instanceof Float64Array) || column.length !== length) throw new Error('candle columns must be Float64Arrays of one length');
  return { length, time: time!, open: open!, high: high!, low: low!, close: close!, volume: volume! };
}

function checkedParams(paramsJson: string): Record<string, unknown> {
  const params = objectFreeze(parseJson(paramsJson) as Record<string, unknown>);
  const def = loaded();
  if (def.validate !== undefined) {
    const issue = def.validate({ ...params } as never);
    if (issue !== null && issue !== undefined) {
      const param = typeof issue.param === 'string' ? issue.param : '';
      const message = typeof issue.message === 'string' ? issue.message : 'invalid';
      throw new ParamsRejected({ param, message: message.slice(0, 500) });
    }
  }
  return params;
}

function backtest(series: CandleSeries, paramsJson: string, configJson: string): BacktestReply {
  const params = checkedParams(paramsJson);
  const config = parseJson(configJson) as BacktestConfig;
  const view = new SeriesView(series);
  const instance = new SandboxedInstance(created(params), params as StrategyInstance['params'], view);
  const result = runBacktest(series, instance, config);
  const changed = view.firstChange();
  if (changed !== null) throw new Error(`the script changed its candles (${changed}); candles are read-only`);
  toOutbox([result.equity, result.tradeLog.rows(), result.fillLog.rows()]);
  // a copy without a prototype: no toJSON but the metrics' own values
  return { metricsJson: stringifyJson(objectAssign(objectCreate(null) as object, result.metrics)) };
}

function plotValues(series: CandleSeries, paramsJson: string): PlotValuesReply {
  const def = loaded();
  if (def.plotValues === undefined) return { names: [] };
  const copy = seriesOf(columnsOf(series).map((column) => column.slice()));
  const values = def.plotValues(copy, { ...checkedParams(paramsJson) } as never);
  const names: string[] = [];
  const arrays: Float64Array[] = [];
  for (const plot of (def.plots ?? []) as readonly { name: string }[]) {
    const column = (values as Record<string, unknown>)[plot.name];
    if (!(column instanceof Float64Array) || column.length !== series.length)
      throw new Error(`plotValues must return a Float64Array of ${series.length} values for plot "${plot.name}"`);
    names.push(String(plot.name));
    arrays.push(column.slice());
  }
  toOutbox(arrays);
  return { names };
}

/**
 * Blocking primitives and shared memory have no use in a strategy (and Atomics.wait could outlast the time limit).
 * The intrinsics are not frozen: freezing Object.prototype, Array.prototype and the typed arrays' prototypes turns
 * off V8's fast paths and made the engine 3-4× slower; a script that patches them can change only its own run,
 * in its own isolate, which is thrown away after it (docs/strategies.md, "The sandbox").
 */
function removeBlockingGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  delete g.Atomics;
  delete g.SharedArrayBuffer;
  delete g.WebAssembly;
}

const api = Object.freeze({
  load: (js: string) => reply(() => load(js)),
  backtest: (candles: ArrayBuffer, paramsJson: string, configJson: string) =>
    reply(() => {
      toOutbox([]);
      return backtest(candlesOf(candles), paramsJson, configJson);
    }),
  plotValues: (candles: ArrayBuffer, paramsJson: string) =>
    reply(() => {
      toOutbox([]);
      return plotValues(candlesOf(candles), paramsJson);
    }),
  outboxArray,
  liveStart: (paramsJson: string) => reply(() => liveStart(paramsJson)),
  biasCheck: (candles: ArrayBuffer, paramsJson: string, configJson: string) =>
    reply(() => {
      const params = checkedParams(paramsJson);
      const create = () => created(params);
      return scriptBiasCheck(candlesOf(candles), create, params as StrategyInstance['params'], parseJson(configJson) as BacktestConfig);
    }),
  liveBar: (candles: ArrayBuffer, from: number, index: number, position: readonly number[] | null) =>
    reply(() => liveRun().bar(columnsOf(candlesOf(candles)), from, index, position)),
  /** nothing but the log held in the isolate: the host reads it after stopping a script for its time limit */
  takeLog: () => reply(() => null),
});

let live: LiveRun | null = null;

/** A deployment's run (live.ts): one instance kept between decisions, its candles handed over as they close. */
function liveStart(paramsJson: string): LiveShape {
  if (live !== null) throw new Error('this sandbox already runs a deployment');
  const params = checkedParams(paramsJson);
  live = new LiveRun(created(params), params as StrategyInstance['params']);
  return live.shape();
}

function liveRun(): LiveRun {
  if (live === null) throw new Error('no deployment started in this sandbox');
  return live;
}

/**
 * Taken when the runtime loads, before any script: a script may replace globals and patch the built-in prototypes
 * (they are not frozen), so the buffer of all the candles — the bars after the current one too — never passes
 * through a global, a prototype method, an iterator or an indexed setter a script could have defined.
 */
const Float64ArrayOf = Float64Array;
const applyOf = Reflect.apply;
const arrayBufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;

/** The candles in a buffer packed column after column (time, open, high, low, close, volume), as a series. */
function candlesOf(candles: ArrayBuffer): CandleSeries {
  let bytes = -1;
  try {
    bytes = applyOf(arrayBufferByteLength, candles, []) as number; // throws unless an ArrayBuffer
  } catch {
    // refused below
  }
  if (bytes < 0 || bytes % 48 !== 0) throw new Error('candles must be an ArrayBuffer of six Float64 columns');
  const n = bytes / 48;
  const column = (k: number) => new Float64ArrayOf(candles, k * n * 8, n);
  return { length: n, time: column(0), open: column(1), high: column(2), low: column(3), close: column(4), volume: column(5) };
}

/** A series' six columns: time, open, high, low, close, volume. */
function columnsOf(series: CandleSeries): Float64Array[] {
  return [series.time, series.open, series.high, series.low, series.close, series.volume];
}

export type SandboxApi = typeof api;

const consoleShim = Object.freeze({ log, info: log, warn: log, error: log, debug: log });
Object.defineProperty(globalThis, 'console', { value: consoleShim, writable: false, configurable: false });
Object.defineProperty(globalThis, '__cryptobot', { value: api, writable: false, configurable: false, enumerable: false });
Object.freeze(sdk);
removeBlockingGlobals();
