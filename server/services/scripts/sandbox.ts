/**
 * Runs user scripts in V8 isolates (isolated-vm), in the worker only: the web app never imports this module
 * (lint rule in eslint.config.js), so it stays free of native addons. One isolate per run, disposed after it:
 * a memory limit, a time limit per call, no Node APIs, no network, no files, no timers (the isolate has none of
 * them), and a capped log. The isolate holds the SDK, the backtest engine and the script (runtime.ts, bundled
 * once per process by esbuild); the whole backtest runs inside it, so its numbers come from the same engine code
 * as the built-in strategies'.
 *
 * Every failure of a script — a syntax the isolate refuses, a throw, a timeout, the memory limit — is a
 * ScriptRuntimeError with a message for the user; the worker itself is never affected (escape-suite.test.ts).
 */
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import ivm from 'isolated-vm';
import { EngineResult } from '@/server/core/backtest/engine';
import { FillLog, TradeLog } from '@/server/core/backtest/trade-log';
import type { BacktestConfig, BacktestMetrics, BacktestResult } from '@/server/core/backtest/types';
import type { CandleSeries } from '@/server/core/candles';
import type { BiasCheckReport } from '@/server/core/robustness/bias';
import type { LiveShape } from '@/server/core/scripts/live';
import type { BacktestReply, PlotValuesReply, ScriptReply } from '@/server/core/scripts/runtime';
import type { Decision } from '@/server/core/strategies/types';
import { ScriptRuntimeError, type ScriptLog } from './errors';

export { ScriptRuntimeError, type ScriptFailureKind, type ScriptLog } from './errors';

/** The entry points runtime.ts exposes to the host. */
const API_NAMES = ['load', 'backtest', 'plotValues', 'outboxArray', 'liveStart', 'liveBar', 'biasCheck', 'takeLog'] as const;
type ApiName = (typeof API_NAMES)[number];

export interface SandboxLimits {
  /** heap of the isolate, MB (the candles' copies count: 1M candles take ~100 MB) */
  readonly memoryMb: number;
  /** loading a script (its module body) */
  readonly loadTimeoutMs: number;
  /** one whole backtest */
  readonly backtestTimeoutMs: number;
  /** one decision of a deployment (a closed candle; the first one also catches up on the bars before it) */
  readonly decisionTimeoutMs: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { memoryMb: 512, loadTimeoutMs: 1_000, backtestTimeoutMs: 60_000, decisionTimeoutMs: 1_000 };

let runtimeSource: Promise<string> | null = null;
/** the bundle once built */
let runtimeText: string | null = null;

/** runtime.ts with the SDK and the engine, as one script, built once per process. */
function runtimeBundle(): Promise<string> {
  runtimeSource ??= esbuild
    .build({
      entryPoints: [fileURLToPath(new URL('../../core/scripts/runtime.ts', import.meta.url))],
      bundle: true,
      format: 'iife',
      platform: 'neutral',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    })
    .then((result) => (runtimeText = result.outputFiles[0]!.text));
  return runtimeSource;
}

/** A new isolate with the runtime loaded and no script: what every sandbox starts from. */
interface FreshIsolate {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  readonly api: Record<ApiName, ivm.Reference>;
}

/**
 * A new isolate and context, the runtime loading into it on the isolate's own thread (the promise: loaded). Made
 * synchronously, so that a spare's runtime loads while the worker's thread goes on with other work.
 */
function newIsolate(source: string, memoryMb: number): { isolate: ivm.Isolate; context: ivm.Context; loaded: Promise<unknown> } {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  try {
    const context = isolate.createContextSync();
    return { isolate, context, loaded: context.eval(source, { timeout: 5_000 }) };
  } catch (error) {
    isolate.dispose();
    throw error;
  }
}

/** The isolate once its runtime has loaded, with references to the runtime's entry points. */
async function loadedIsolate({ isolate, context, loaded }: ReturnType<typeof newIsolate>): Promise<FreshIsolate> {
  try {
    await loaded;
    const api = context.global.getSync('__cryptobot', { reference: true }) as ivm.Reference;
    const refs = API_NAMES.map((name) => [name, api.getSync(name, { reference: true }) as ivm.Reference] as const);
    return { isolate, context, api: Object.fromEntries(refs) as Record<ApiName, ivm.Reference> };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

/**
 * Spares: at most one fresh isolate per memory limit (for at most SPARE_LIMITS limits), made when a sandbox is
 * disposed, so that loading the runtime into the next isolate happens on that isolate's thread while the worker
 * goes on, not when the next script loads. A spare has run nothing but the runtime, is handed to one sandbox only
 * and disposed with it: no isolate ever loads a second script, so nothing of one run can reach another.
 */
const spares = new Map<number, Promise<FreshIsolate>>();
const SPARE_LIMITS = 2;

/** A fresh isolate: the spare made ahead for `memoryMb` when there is a usable one, a new one otherwise. */
async function takeFreshIsolate(memoryMb: number): Promise<FreshIsolate> {
  const spare = spares.get(memoryMb);
  spares.delete(memoryMb);
  const ready = spare === undefined ? null : await spare.catch(() => null);
  if (ready !== null && !ready.isolate.isDisposed) return ready;
  return loadedIsolate(newIsolate(await runtimeBundle(), memoryMb));
}

/** Makes the spare for `memoryMb` when there is none (the runtime bundle is built by then: a sandbox was loaded). */
function makeSpare(memoryMb: number): void {
  if (spares.has(memoryMb) || runtimeText === null) return;
  if (spares.size >= SPARE_LIMITS) {
    const [oldest, evicted] = spares.entries().next().value!;
    spares.delete(oldest);
    void evicted.then(
      (fresh) => fresh.isolate.dispose(),
      () => undefined,
    );
  }
  let spare: Promise<FreshIsolate>;
  try {
    spare = loadedIsolate(newIsolate(runtimeText, memoryMb));
  } catch {
    return; // no spare: the next load makes its own isolate
  }
  spare.catch(() => {
    if (spares.get(memoryMb) === spare) spares.delete(memoryMb);
  });
  spares.set(memoryMb, spare);
}

/** For tests: the isolates made ahead so far, by memory limit. */
export function sparesForTest(): ReadonlyMap<number, Promise<{ readonly isolate: ivm.Isolate }>> {
  return spares;
}

/** Lines a sandbox keeps between two takeLog calls (each call into the isolate keeps at most LOG_MAX_LINES). */
const HOST_LOG_MAX_LINES = 1000;

/** One loaded script in its own isolate. Dispose it when done (or use withScript). */
export class ScriptSandbox {
  private log: string[] = [];
  private logDropped = 0;

  private constructor(
    private readonly isolate: ivm.Isolate,
    private readonly context: ivm.Context,
    private readonly api: Record<ApiName, ivm.Reference>,
    readonly limits: SandboxLimits,
  ) {}

  /** Takes a fresh isolate with the runtime loaded (a spare, or a new one) and loads the script (compiled JavaScript from compile.ts). */
  static async load(js: string, limits: SandboxLimits = DEFAULT_LIMITS): Promise<{ sandbox: ScriptSandbox; description: unknown }> {
    const { isolate, context, api } = await takeFreshIsolate(limits.memoryMb);
    const sandbox = new ScriptSandbox(isolate, context, api, limits);
    try {
      const json = await sandbox.call<string>(sandbox.api.load, [js], limits.loadTimeoutMs);
      return { sandbox, description: parseDeclaration(json) };
    } catch (error) {
      sandbox.dispose();
      throw error;
    }
  }

  /** The whole backtest inside the isolate; the result is the engine's, rebuilt from the rows it sent back. */
  async backtest(series: CandleSeries, params: Readonly<Record<string, unknown>>, config: BacktestConfig): Promise<BacktestResult> {
    const reply = await this.call<BacktestReply>(
      this.api.backtest,
      [packed(series), JSON.stringify(params), JSON.stringify(config)],
      this.limits.backtestTimeoutMs,
    );
    return engineResult(reply, this.outboxSync(3, series.length));
  }

  /** The values of the script's declared plots over `series` (an empty record without plotValues). */
  async plotValues(series: CandleSeries, params: Readonly<Record<string, unknown>>): Promise<Record<string, Float64Array>> {
    const { names } = await this.call<PlotValuesReply>(this.api.plotValues, [packed(series), JSON.stringify(params)], this.limits.backtestTimeoutMs);
    const arrays = this.outboxSync(names.length);
    const out: Record<string, Float64Array> = {};
    names.forEach((name, k) => {
      if (arrays[k]!.length !== series.length) throw new ScriptRuntimeError('error', `the sandbox sent ${arrays[k]!.length} values for plot "${name}"`);
      out[name] = arrays[k]!;
    });
    return out;
  }

  /** The bias checks of the script over `series` (core/scripts/bias.ts), within the backtest's time limit. */
  async biasCheck(series: CandleSeries, params: Readonly<Record<string, unknown>>, config: BacktestConfig): Promise<BiasCheckReport> {
    return this.call<BiasCheckReport>(this.api.biasCheck, [packed(series), JSON.stringify(params), JSON.stringify(config)], this.limits.backtestTimeoutMs);
  }

  /** Starts the deployment's instance (core/scripts/live.ts) with host-validated `params`: its warmup and sizing. */
  async liveStart(params: Readonly<Record<string, unknown>>): Promise<LiveShape> {
    return this.call<LiveShape>(this.api.liveStart, [JSON.stringify(params)], this.limits.loadTimeoutMs);
  }

  /**
   * The decision on the close of bar `index` of `series`, handing over bars from..index first. Synchronous (the
   * strategy machine's per-bar call is), so it blocks the worker for at most `decisionTimeoutMs`.
   */
  liveBar(series: CandleSeries, from: number, index: number, position: readonly number[] | null): Decision {
    const args = [packed(series, from, index + 1), from, index, position === null ? null : [...position]];
    return this.callSync<Decision>(this.api.liveBar, args, this.limits.decisionTimeoutMs);
  }

  /**
   * A whole backtest, synchronously (blocking the worker for at most the backtest's time limit): for many short runs
   * in a row, such as the price paths of a Monte Carlo study, which the engine also runs synchronously.
   */
  backtestSync(series: CandleSeries, params: Readonly<Record<string, unknown>>, config: BacktestConfig): BacktestResult {
    const reply = this.callSync<BacktestReply>(
      this.api.backtest,
      [packed(series), JSON.stringify(params), JSON.stringify(config)],
      this.limits.backtestTimeoutMs,
    );
    return engineResult(reply, this.outboxSync(3, series.length));
  }

  /**
   * The `count` arrays the last call left in the isolate's outbox (runtime.ts), each with one copy: isolated-vm
   * copies it out of the isolate once (`externalCopy`) and that copy becomes the host's array (`transferIn`).
   * With `equityLength`, array 0 must hold that many values. Synchronous: each take is a memcpy, no script runs.
   */
  private outboxSync(count: number, equityLength?: number): Float64Array[] {
    const arrays: Float64Array[] = [];
    for (let k = 0; k < count; k++) {
      let copy: ivm.ExternalCopy<unknown>;
      try {
        copy = this.api.outboxArray.applySync(undefined, [k], {
          result: { externalCopy: true },
          timeout: this.limits.loadTimeoutMs,
        }) as ivm.ExternalCopy<unknown>;
      } catch (error) {
        throw this.hostFailure(error, this.limits.loadTimeoutMs);
      }
      const array = copy.copy({ transferIn: true });
      copy.release();
      if (!(array instanceof Float64Array)) throw new ScriptRuntimeError('error', 'the sandbox sent a result that is not a Float64Array');
      arrays.push(array);
    }
    if (equityLength !== undefined && arrays[0]!.length !== equityLength)
      throw new ScriptRuntimeError('error', `the sandbox sent ${arrays[0]!.length} equity values for ${equityLength} bars`);
    return arrays;
  }

  /** What the script logged so far (capped in the isolate: runtime's log.ts). */
  takeLog(): ScriptLog {
    const out = { lines: this.log, dropped: this.logDropped };
    this.log = [];
    this.logDropped = 0;
    return out;
  }

  /** Disposes the isolate (a no-op when it is already) and has the next fresh isolate made ahead (a spare). */
  dispose(): void {
    if (this.isolate.isDisposed) return;
    this.isolate.dispose();
    makeSpare(this.limits.memoryMb);
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  private async call<T>(fn: ivm.Reference, args: unknown[], timeoutMs: number): Promise<T> {
    if (this.isolate.isDisposed) throw new ScriptRuntimeError('error', 'the sandbox was disposed');
    let reply: ScriptReply<T>;
    try {
      reply = (await fn.apply(undefined, args, { arguments: { copy: true }, result: { copy: true }, timeout: timeoutMs })) as ScriptReply<T>;
    } catch (error) {
      throw this.hostFailure(error, timeoutMs);
    }
    return this.settle(reply);
  }

  private callSync<T>(fn: ivm.Reference, args: unknown[], timeoutMs: number): T {
    if (this.isolate.isDisposed) throw new ScriptRuntimeError('error', 'the sandbox was disposed');
    let reply: ScriptReply<T>;
    try {
      reply = fn.applySync(undefined, args, { arguments: { copy: true }, result: { copy: true }, timeout: timeoutMs }) as ScriptReply<T>;
    } catch (error) {
      throw this.hostFailure(error, timeoutMs);
    }
    return this.settle(reply);
  }

  /** The value of a reply, its log kept (capped); a failed reply as a ScriptRuntimeError carrying the log so far. */
  private settle<T>(reply: ScriptReply<T>): T {
    this.keepLog(reply.log, reply.logDropped);
    if (!reply.ok) throw new ScriptRuntimeError(reply.paramIssue ? 'params' : 'error', reply.error, reply.paramIssue ?? null, this.takeLog());
    return reply.value;
  }

  /** Appends an isolate's lines up to HOST_LOG_MAX_LINES, counting the rest as dropped. */
  private keepLog(lines: readonly string[], dropped: number): void {
    const room = Math.max(0, HOST_LOG_MAX_LINES - this.log.length);
    this.log.push(...lines.slice(0, room));
    this.logDropped += dropped + Math.max(0, lines.length - room);
  }

  /**
   * The lines a script printed before it was stopped for its time limit, still held in the isolate (log.ts): read with
   * a short call of their own, as isolated-vm leaves the isolate usable after a timeout. Lost if that fails.
   */
  private rescueLog(): void {
    try {
      const reply = this.api.takeLog.applySync(undefined, [], { result: { copy: true }, timeout: 100 }) as ScriptReply<null>;
      this.keepLog(reply.log, reply.logDropped);
    } catch {
      // the isolate cannot answer: the lines are gone with it
    }
  }

  /** A failure isolated-vm reports (the isolate was stopped): a timeout or the memory limit; the isolate is gone after it. */
  private hostFailure(error: unknown, timeoutMs: number): ScriptRuntimeError {
    const message = error instanceof Error ? error.message : String(error);
    const outOfMemory = this.isolate.isDisposed || /memory limit/i.test(message);
    const timedOut = !outOfMemory && /timed out/i.test(message);
    if (timedOut) this.rescueLog();
    this.dispose();
    if (outOfMemory) return new ScriptRuntimeError('memory', `the script went over its memory limit (${this.limits.memoryMb} MB) and was stopped`);
    if (timedOut)
      return new ScriptRuntimeError('timeout', `the script ran longer than its time limit (${timeoutMs / 1000} s) and was stopped`, null, this.takeLog());
    return new ScriptRuntimeError('error', `the sandbox stopped the script: ${message.slice(0, 500)}`, null, this.takeLog());
  }

  /** For tests: the sandbox's isolate. */
  get isolateForTest(): ivm.Isolate {
    return this.isolate;
  }

  /** For tests: whether a host-visible value leaked into the isolate's global scope. */
  async evalForTest(code: string): Promise<unknown> {
    return this.context.eval(code, { timeout: 1_000, copy: true });
  }
}

/** The engine's result, rebuilt from the rows a backtest sent back. */
function engineResult(reply: BacktestReply, [equity, tradeRows, fillRows]: Float64Array[]): BacktestResult {
  const metrics = JSON.parse(reply.metricsJson) as BacktestMetrics;
  return new EngineResult(equity!, metrics, TradeLog.fromRows(tradeRows!), FillLog.fromRows(fillRows!));
}

/** The script's declaration as plain data; a `__proto__` key anywhere is refused rather than becoming a prototype. */
function parseDeclaration(json: string): unknown {
  return JSON.parse(json, (key, value: unknown) => {
    if (key === '__proto__') throw new ScriptRuntimeError('error', "the script's declaration is invalid: __proto__ is not allowed as a key");
    return value;
  });
}

/**
 * The host buffer the last large pack used, kept for the next pack of the same size: a fresh 48 MB array buffer per
 * backtest of 1M candles is external memory the host's GC must account for, and the mark-compacts it triggers on a
 * worker-sized heap run beside the isolate's JIT (docs/performance.md, "Sandboxed scripts: where the time goes").
 */
let packBuffer: ArrayBuffer | null = null;
const KEEP_PACK_BYTES = 1 << 20;

/**
 * Bars from..to−1 of the six columns in one buffer, one column after the other, copied out of the host heap once
 * (isolated-vm's ExternalCopy, into memory the host's GC does not count) and moved into the isolate without another
 * copy. Never a view of a SharedArrayBuffer: the isolate gets memory of its own.
 */
function packed(series: CandleSeries, from = 0, to = series.length): ivm.Copy<ArrayBuffer> {
  const n = to - from;
  const columns = [series.time, series.open, series.high, series.low, series.close, series.volume].map((column) => column.subarray(from, to));
  if (!(n >= 0 && columns.every((column) => column.length === n))) throw new RangeError(`candle columns must hold bars ${from}..${to - 1}`);
  const bytes = n * 48;
  const buffer = bytes >= KEEP_PACK_BYTES && packBuffer !== null && packBuffer.byteLength === bytes ? packBuffer : new ArrayBuffer(bytes);
  if (bytes >= KEEP_PACK_BYTES) packBuffer = buffer;
  const all = new Float64Array(buffer);
  columns.forEach((column, k) => all.set(column, k * n));
  return new ivm.ExternalCopy(buffer).copyInto({ release: true, transferIn: true });
}

/** Loads a script, runs `work` with it, and always disposes the isolate. */
export async function withScript<T>(
  js: string,
  work: (sandbox: ScriptSandbox, description: unknown) => Promise<T>,
  limits: SandboxLimits = DEFAULT_LIMITS,
): Promise<T> {
  const { sandbox, description } = await ScriptSandbox.load(js, limits);
  try {
    return await work(sandbox, description);
  } finally {
    sandbox.dispose();
  }
}
