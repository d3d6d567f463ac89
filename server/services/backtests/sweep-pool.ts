/**
 * Runs a parameter sweep's combinations across worker threads. The candles live in ONE SharedArrayBuffer
 * (six Float64 columns, see allocateSharedSeries) that every thread maps without copying; each thread runs the
 * ordinary single-threaded engine on its share of the combinations, handed out in small chunks so fast and
 * slow combinations balance out. Only metrics come back (no trades or equity per combination).
 *
 * The threads are a pool kept for the life of the process: the first sweep starts them, later sweeps (the
 * worker process runs one job after another) find them ready, so a sweep job does not pay thread start-up.
 * Idle threads are unref'd and never keep the process alive; `closeSweepPool()` ends them.
 *
 * A thread runs sweep-thread.ts. Loading TypeScript in a thread through tsx costs ~0.2 s per thread, so when this
 * module runs from TypeScript the thread entry is bundled once per process into plain JavaScript with esbuild
 * (tsx's own dependency) and each thread starts from that text. Without esbuild the thread registers tsx
 * (`tsx/esm/api` `register()`; on Node 20 `new Worker(file.ts, { execArgv: ['--import', 'tsx'] })` fails with
 * "Unknown file extension .ts") and imports the .ts entry; compiled to .js, the .js entry is started directly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { allocateSharedSeries, type CandleSeries } from '@/server/core/candles';
import { BacktestCancelledError, type BacktestConfig, type BacktestMetrics } from '@/server/core/backtest/types';
import type { SweepChunkMessage, SweepReleaseMessage, SweepThreadReply } from './sweep-thread';

export interface SweepJob {
  /** the candles (start ≤ time < end); copied once into a SharedArrayBuffer unless already laid out in one */
  readonly series: CandleSeries;
  readonly strategyType: string;
  /** parameter sets, e.g. generateGrid(...).combos */
  readonly combos: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly config: BacktestConfig;
  /**
   * Set by a caller that runs several sweeps over the very same candles (a walk-forward fold's search batches, one
   * shared series): they share each thread's state (the mapped series and its indicator columns) under this key,
   * which outlives the sweep until releaseSweepSeries(key) drops it or two newer sweeps push it out of the thread. A
   * key must never name other candles.
   */
  readonly seriesKey?: string;
}

export interface SweepPoolOptions {
  /** threads working on this sweep at once; default os.availableParallelism(), never more than the combinations */
  readonly threads?: number;
  /** called after each finished chunk with (combinations done, total) */
  readonly onProgress?: (done: number, total: number) => void;
  /** called after each finished chunk: `warm` when its thread already held the series and columns (a shared seriesKey) */
  readonly onChunk?: (chunk: { warm: boolean }) => void;
  /** aborting stops the sweep's threads at their next check (within a few thousand bars) and rejects with BacktestCancelledError */
  readonly signal?: AbortSignal;
}

export interface SweepComboResult {
  /** index into job.combos */
  readonly index: number;
  readonly params: Readonly<Record<string, unknown>>;
  /** null when this combination failed (see error) */
  readonly metrics: BacktestMetrics | null;
  readonly error: string | null;
}

/** The series' own buffer when it already has allocateSharedSeries' layout, else a shared copy (one copy). */
export function shareSeries(series: CandleSeries): { buffer: SharedArrayBuffer; length: number } {
  const { length } = series;
  const buffer = series.time.buffer;
  const columns = [series.time, series.open, series.high, series.low, series.close, series.volume];
  if (buffer instanceof SharedArrayBuffer && columns.every((c, k) => c.buffer === buffer && c.byteOffset === k * length * 8 && c.length === length)) {
    return { buffer, length };
  }
  const shared = allocateSharedSeries(length, true);
  shared.series.time.set(series.time);
  shared.series.open.set(series.open);
  shared.series.high.set(series.high);
  shared.series.low.set(series.low);
  shared.series.close.set(series.close);
  shared.series.volume.set(series.volume);
  return { buffer: shared.buffer as SharedArrayBuffer, length };
}

/** One sweep in progress in the pool. */
interface ActiveSweep {
  readonly id: number;
  readonly job: SweepJob;
  readonly buffer: SharedArrayBuffer;
  readonly length: number;
  readonly cancel: SharedArrayBuffer;
  readonly maxThreads: number;
  readonly chunkSize: number;
  readonly results: Array<SweepComboResult | undefined>;
  readonly options: SweepPoolOptions;
  nextStart: number;
  done: number;
  settled: boolean;
  resolve(results: SweepComboResult[]): void;
  reject(error: unknown): void;
}

interface PoolThread {
  readonly worker: Worker;
  /**
   * The sweeps of the chunks posted to it and not answered yet, in the order it runs them: up to CHUNKS_AHEAD, so
   * that its next chunk is already in its queue when it answers one, instead of it idling until the process's main
   * thread takes the answer and posts again (on a busy machine, until the main thread gets a core).
   */
  readonly queue: ActiveSweep[];
}

/** Chunks in a thread's queue at most: the one it runs and the next. */
const CHUNKS_AHEAD = 2;

let threads: PoolThread[] = [];
/** sweeps with chunks left, served round-robin */
let sweeps: ActiveSweep[] = [];
let roundRobin = 0;
let lastSweepId = 0;

export async function runSweep(job: SweepJob, options: SweepPoolOptions = {}): Promise<SweepComboResult[]> {
  const total = job.combos.length;
  if (total === 0) return [];
  if (options.signal?.aborted) throw new BacktestCancelledError();
  const { buffer, length } = shareSeries(job.series);
  const maxThreads = Math.max(1, Math.min(options.threads ?? availableParallelism(), total));
  const source = await threadSource();
  return new Promise<SweepComboResult[]>((resolve, reject) => {
    const sweep: ActiveSweep = {
      id: ++lastSweepId,
      job,
      buffer,
      length,
      cancel: new SharedArrayBuffer(4),
      maxThreads,
      chunkSize: Math.max(1, Math.min(64, Math.ceil(total / (maxThreads * 8)))),
      results: new Array<SweepComboResult | undefined>(total),
      options,
      nextStart: 0,
      done: 0,
      settled: false,
      resolve,
      reject,
    };
    const onAbort = () => settle(sweep, new BacktestCancelledError());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => options.signal?.removeEventListener('abort', onAbort);
    sweep.resolve = (results) => {
      cleanup();
      resolve(results);
    };
    sweep.reject = (error) => {
      cleanup();
      reject(error);
    };
    sweeps.push(sweep);
    // Enough threads for every sweep in progress (the pool never shrinks while the process runs).
    const wanted = Math.max(...sweeps.map((s) => s.maxThreads));
    while (threads.length < wanted) threads.push(startThread(source));
    dispatch();
  });
}

/**
 * Sweeps that named `seriesKey` are over (a walk-forward fold's search): the threads drop its series and columns now,
 * their columns' memory going to the next sweep's columns, instead of keeping them until newer sweeps push them out.
 */
export function releaseSweepSeries(seriesKey: string): void {
  const release: SweepReleaseMessage = { kind: 'release', seriesKey };
  for (const thread of threads) thread.worker.postMessage(release);
}

/** Ends every thread of the pool; sweeps in progress reject. The next runSweep starts a new pool. */
export async function closeSweepPool(): Promise<void> {
  const ending = threads;
  threads = [];
  for (const sweep of [...sweeps]) settle(sweep, new Error('the sweep pool was closed'));
  await Promise.all(ending.map((t) => t.worker.terminate()));
}

function settle(sweep: ActiveSweep, error: unknown): void {
  if (sweep.settled) return;
  sweep.settled = true;
  sweeps = sweeps.filter((s) => s !== sweep);
  // The threads drop the sweep's series and shared indicator columns (a keyed series is kept for the next call).
  if (sweep.job.seriesKey === undefined) {
    const release: SweepReleaseMessage = { kind: 'release', sweepId: sweep.id };
    for (const thread of threads) thread.worker.postMessage(release);
  }
  if (error) {
    // Threads still running its chunks stop at their next check and come back idle.
    Atomics.store(new Int32Array(sweep.cancel), 0, 1);
    sweep.reject(error);
  } else sweep.resolve(sweep.results as SweepComboResult[]);
}

/**
 * Gives every thread with room in its queue the next chunk of a sweep that may use it, round-robin over sweeps: first
 * one chunk to every idle thread, then the chunks ahead.
 */
function dispatch(): void {
  for (let depth = 1; depth <= CHUNKS_AHEAD; depth++) {
    for (const thread of threads) {
      if (thread.queue.length >= depth) continue;
      const sweep = nextSweepFor(thread);
      if (!sweep) continue;
      const start = sweep.nextStart;
      sweep.nextStart = Math.min(sweep.job.combos.length, start + sweep.chunkSize);
      thread.queue.push(sweep);
      thread.worker.ref();
      const message: SweepChunkMessage = {
        kind: 'chunk',
        sweepId: sweep.id,
        ...(sweep.job.seriesKey !== undefined && { seriesKey: sweep.job.seriesKey }),
        buffer: sweep.buffer,
        length: sweep.length,
        strategyType: sweep.job.strategyType,
        config: sweep.job.config,
        start,
        combos: sweep.job.combos.slice(start, sweep.nextStart),
        cancel: sweep.cancel,
      };
      thread.worker.postMessage(message);
    }
  }
}

/** A sweep with chunks left that `thread` may work on: one it already works on, or one below its maxThreads. */
function nextSweepFor(thread: PoolThread): ActiveSweep | null {
  for (let k = 0; k < sweeps.length; k++) {
    const sweep = sweeps[(roundRobin + k) % sweeps.length]!;
    if (sweep.nextStart >= sweep.job.combos.length) continue;
    if (!thread.queue.includes(sweep) && threads.filter((t) => t.queue.includes(sweep)).length >= sweep.maxThreads) continue;
    roundRobin = (roundRobin + k + 1) % sweeps.length;
    return sweep;
  }
  return null;
}

function startThread(source: ThreadSource): PoolThread {
  const worker =
    source.kind === 'bundle'
      ? new Worker(source.code, { eval: true })
      : source.kind === 'file'
        ? new Worker(source.url)
        : new Worker(source.bootstrap, { eval: true });
  worker.unref();
  const thread: PoolThread = { worker, queue: [] };
  worker.on('message', (reply: SweepThreadReply) => {
    // Replies come in the order the chunks were posted.
    const sweep = thread.queue.shift();
    if (thread.queue.length === 0) worker.unref();
    if (sweep) {
      if (!sweep.settled && reply.kind === 'results') {
        for (const r of reply.results) sweep.results[r.index] = { ...r, params: sweep.job.combos[r.index]! };
        sweep.done += reply.results.length;
        sweep.options.onChunk?.({ warm: reply.warm });
        sweep.options.onProgress?.(sweep.done, sweep.job.combos.length);
        if (sweep.done === sweep.job.combos.length) settle(sweep, null);
      }
    }
    dispatch();
  });
  const lost = (error: unknown) => {
    if (!threads.includes(thread)) return;
    threads = threads.filter((t) => t !== thread);
    for (const sweep of thread.queue.splice(0)) settle(sweep, error);
    void worker.terminate();
    dispatch();
  };
  worker.on('error', lost);
  worker.on('exit', (code) => lost(new Error(`sweep worker exited early with code ${code}`)));
  return thread;
}

type ThreadSource = { kind: 'bundle'; code: string } | { kind: 'file'; url: URL } | { kind: 'bootstrap'; bootstrap: string };

let threadSourcePromise: Promise<ThreadSource> | null = null;

/** How threads start: the compiled .js entry, else a one-time esbuild bundle of the .ts entry, else tsx in the thread. */
function threadSource(): Promise<ThreadSource> {
  threadSourcePromise ??= (async (): Promise<ThreadSource> => {
    const here = new URL(import.meta.url);
    if (!here.pathname.endsWith('.ts')) return { kind: 'file', url: new URL('./sweep-thread.js', here) };
    const entry = new URL('./sweep-thread.ts', here);
    try {
      return { kind: 'bundle', code: await bundleThreadEntry(fileURLToPath(entry)) };
    } catch {
      const tsxApi = tsxEsmApiUrl();
      return {
        kind: 'bootstrap',
        bootstrap: `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`,
      };
    }
  })();
  return threadSourcePromise;
}

/**
 * sweep-thread.ts and the core modules it imports as one CommonJS script (started with `eval: true`), built by
 * tsx's esbuild. The module names are assembled at run time and resolved through tsx's manifest so that bundlers
 * (the web build imports this module through the sweeps service) leave them alone: only the worker process ever
 * starts sweep threads.
 */
async function bundleThreadEntry(entryPath: string): Promise<string> {
  const requireFromTsx = createRequire(tsxManifestPath());
  const esbuild = requireFromTsx(['es', 'build'].join('')) as {
    build(options: Record<string, unknown>): Promise<{ outputFiles: Array<{ text: string }> }>;
  };
  const result = await esbuild.build({
    entryPoints: [entryPath],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

function tsxManifestPath(): string {
  return createRequire(import.meta.url).resolve(['tsx', 'package.json'].join('/'));
}

/** file URL of tsx's ESM API (its "import" export of ./esm/api; the CommonJS build cannot register from a worker). */
function tsxEsmApiUrl(): string {
  const manifestPath = tsxManifestPath();
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return new URL(manifest.exports['./esm/api']!.import.default, pathToFileURL(manifestPath)).href;
}
