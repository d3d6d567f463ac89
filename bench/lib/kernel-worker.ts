/**
 * A worker thread that runs the hand-written kernel on request, over a series in a SharedArrayBuffer: the bench
 * uses one of them alone, then N at once, to measure how this machine scales N independent copies of the same
 * work (memory bandwidth, SMT, frequency, and other people's load all show up here, not in the sweep's code).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { seriesFromBuffer } from '../../server/core/candles';
import type { BacktestConfig } from '../../server/core/backtest/types';
import { runSmaCrossoverKernel, type SmaCrossoverKernelParams } from '../kernels/sma-crossover-kernel';

export const KERNEL_WORKER_KIND = 'cryptobot-bench-kernel-worker';

export interface KernelWorkerInit {
  readonly kind: typeof KERNEL_WORKER_KIND;
  readonly buffer: SharedArrayBuffer;
  readonly length: number;
  readonly config: BacktestConfig;
  /** the work of one request: the kernel once per parameter set */
  readonly combos: readonly SmaCrossoverKernelParams[];
}

export type KernelWorkerReply = { readonly ready: true } | { readonly ms: number; readonly checksum: number };

function serve(init: KernelWorkerInit): void {
  const series = seriesFromBuffer(init.buffer, init.length);
  const work = () => {
    let checksum = 0;
    for (const params of init.combos) checksum += runSmaCrossoverKernel(series, params, init.config).finalEquity;
    return checksum;
  };
  if (init.combos[0]) runSmaCrossoverKernel(series, init.combos[0], init.config); // warm-up before announcing readiness
  parentPort!.on('message', () => {
    const started = performance.now();
    const checksum = work();
    parentPort!.postMessage({ ms: performance.now() - started, checksum } satisfies KernelWorkerReply);
  });
  parentPort!.postMessage({ ready: true } satisfies KernelWorkerReply);
}

if (!isMainThread && (workerData as Partial<KernelWorkerInit> | null)?.kind === KERNEL_WORKER_KIND) serve(workerData as KernelWorkerInit);
