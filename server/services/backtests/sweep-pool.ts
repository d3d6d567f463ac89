import { readFileSync } from 'node:fs';
/**
 * Runs a parameter sweep's combinations across worker threads. The candles live in ONE SharedArrayBuffer
 * (six Float64 columns, see allocateSharedSeries) that every worker maps without copying; each worker runs the
 * ordinary single-threaded engine on its share of the combinations, handed out in small chunks so fast and
 * slow combinations balance out. Only metrics come back (no trades or equity per combination).
 *
 * This file is also the worker script: a thread started on it with the marker below in `workerData` serves
 * chunks instead of exporting. When it is a .ts file (tsx, vitest) the thread needs tsx's loader: on Node 20,
 * `new Worker(file.ts, { execArgv: ['--import', 'tsx'] })` fails with "Unknown file extension .ts" (the hooks
 * are not in place when the worker's entry module loads), so the thread starts from a one-line bootstrap that
 * registers tsx (tsx/esm/api `register()`) and then imports this file.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { allocateSharedSeries, seriesFromBuffer, type CandleSeries } from '../../core/candles';
import { runBacktest } from '../../core/backtest/engine';
import { BacktestCancelledError, type BacktestConfig, type BacktestMetrics } from '../../core/backtest/types';
import { createStrategy } from '../../core/strategies/registry';

const WORKER_KIND = 'cryptobot-sweep-worker';

export interface SweepJob {
  /** the candles (start ≤ time < end); copied once into a SharedArrayBuffer unless already laid out in one */
  readonly series: CandleSeries;
  readonly strategyType: string;
  /** parameter sets, e.g. generateGrid(...).combos */
  readonly combos: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly config: BacktestConfig;
}

export interface SweepPoolOptions {
  /** worker threads; default os.availableParallelism(), never more than the number of combinations */
  readonly threads?: number;
  /** called after each finished chunk with (combinations done, total) */
  readonly onProgress?: (done: number, total: number) => void;
  /** aborting terminates the workers and rejects with BacktestCancelledError */
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

interface WorkerInit {
  readonly kind: typeof WORKER_KIND;
  readonly buffer: SharedArrayBuffer;
  readonly length: number;
  readonly strategyType: string;
  readonly config: BacktestConfig;
}

type ToWorker = { readonly start: number; readonly combos: ReadonlyArray<Readonly<Record<string, unknown>>> };
type FromWorker = { readonly results: Array<{ index: number; metrics: BacktestMetrics | null; error: string | null }> };

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

export async function runSweep(job: SweepJob, options: SweepPoolOptions = {}): Promise<SweepComboResult[]> {
  const total = job.combos.length;
  if (total === 0) return [];
  if (options.signal?.aborted) throw new BacktestCancelledError();
  const { buffer, length } = shareSeries(job.series);
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), total));
  const chunkSize = Math.max(1, Math.min(64, Math.ceil(total / (threads * 8))));
  const results = new Array<SweepComboResult | undefined>(total);
  const scriptUrl = new URL(import.meta.url);
  const init: WorkerInit = { kind: WORKER_KIND, buffer, length, strategyType: job.strategyType, config: job.config };
  const workers: Worker[] = [];

  return new Promise<SweepComboResult[]>((resolve, reject) => {
    let nextStart = 0;
    let done = 0;
    let settled = false;
    const finish = (error: unknown) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      for (const worker of workers) void worker.terminate();
      if (error) reject(error);
      else resolve(results as SweepComboResult[]);
    };
    const onAbort = () => finish(new BacktestCancelledError());
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const dispatch = (worker: Worker) => {
      if (nextStart >= total) return;
      const start = nextStart;
      nextStart = Math.min(total, start + chunkSize);
      const message: ToWorker = { start, combos: job.combos.slice(start, nextStart) };
      worker.postMessage(message);
    };

    for (let t = 0; t < threads; t++) {
      const worker = startWorker(scriptUrl, init);
      workers.push(worker);
      worker.on('message', (message: FromWorker) => {
        for (const r of message.results) results[r.index] = { ...r, params: job.combos[r.index]! };
        done += message.results.length;
        options.onProgress?.(done, total);
        if (done === total) finish(null);
        else dispatch(worker);
      });
      worker.on('error', (error) => finish(error));
      worker.on('exit', (code) => {
        if (!settled) finish(new Error(`sweep worker exited early with code ${code}`));
      });
      dispatch(worker);
    }
  });
}

/**
 * file URL of tsx's ESM API (its "import" export of ./esm/api; the CommonJS build cannot register from
 * a worker). The specifier is assembled at run time and the manifest read with fs, so that bundlers
 * (the web build imports this module through the sweeps service) leave it alone: only the worker
 * process ever starts sweep threads.
 */
function tsxEsmApiUrl(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve(['tsx', 'package.json'].join('/'));
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return new URL(manifest.exports['./esm/api']!.import.default, pathToFileURL(manifestPath)).href;
}

function startWorker(scriptUrl: URL, init: WorkerInit): Worker {
  if (!scriptUrl.pathname.endsWith('.ts')) return new Worker(scriptUrl, { workerData: init });
  const tsxApi = tsxEsmApiUrl();
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(scriptUrl.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

function serveChunks(init: WorkerInit): void {
  const series = seriesFromBuffer(init.buffer, init.length);
  parentPort!.on('message', (message: ToWorker) => {
    const results: FromWorker['results'] = [];
    message.combos.forEach((params, k) => {
      const index = message.start + k;
      try {
        const strategy = createStrategy(init.strategyType, params);
        results.push({ index, metrics: runBacktest(series, strategy, init.config).metrics, error: null });
      } catch (error) {
        results.push({ index, metrics: null, error: error instanceof Error ? error.message : String(error) });
      }
    });
    parentPort!.postMessage({ results } satisfies FromWorker);
  });
}

if (!isMainThread && (workerData as Partial<WorkerInit> | null)?.kind === WORKER_KIND) serveChunks(workerData as WorkerInit);
