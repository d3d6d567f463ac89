/**
 * The cross-checks that make the bench fail: the hand-written kernel must produce the engine's trades bit for bit
 * and its metrics to 1e-9 relative (the kernel computes Sharpe/Sortino online, the engine from the equity array;
 * the same rule as server/core/backtest/kernel-parity.test.ts), and the sweep pool's metrics must equal the
 * single-threaded engine's exactly.
 */
import { isDeepStrictEqual } from 'node:util';
import type { BacktestMetrics, BacktestResult } from '../../server/core/backtest/types';
import type { KernelResult } from '../kernels/sma-crossover-kernel';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const METRIC_TOLERANCE = 1e-9;

export function compareKernelToEngine(name: string, engine: BacktestResult, kernel: KernelResult): CheckResult {
  const problems: string[] = [];
  if (kernel.trades.length !== engine.trades.length) problems.push(`trade count: engine ${engine.trades.length}, kernel ${kernel.trades.length}`);
  else {
    const first = engine.trades.findIndex((trade, k) => !isDeepStrictEqual(trade, kernel.trades[k]));
    if (first >= 0) problems.push(`trade ${first} differs: engine ${JSON.stringify(engine.trades[first])}, kernel ${JSON.stringify(kernel.trades[first])}`);
  }
  const engineFinal = engine.equity[engine.equity.length - 1];
  if (engine.equity.length > 0 && kernel.finalEquity !== engineFinal) problems.push(`final equity: engine ${engineFinal}, kernel ${kernel.finalEquity}`);
  problems.push(...metricDifferences(engine.metrics, kernel.metrics, METRIC_TOLERANCE));
  if (engine.trades.length === 0) problems.push('the run made no trade, so the check proves little');
  return {
    name,
    ok: problems.length === 0,
    detail: problems.length === 0 ? `${engine.trades.length} trades identical, metrics within ${METRIC_TOLERANCE} relative` : problems.join('; '),
  };
}

export function metricDifferences(expected: BacktestMetrics, actual: BacktestMetrics, tolerance: number): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(expected) as Array<keyof BacktestMetrics>) {
    const a = expected[key];
    const b = actual[key];
    if (a === null || b === null) {
      if (a !== b) problems.push(`${key}: ${a} vs ${b}`);
      continue;
    }
    const relative = Math.abs(a - b) / Math.max(Math.abs(a), 1e-12);
    if (!(relative <= tolerance)) problems.push(`${key}: ${a} vs ${b}`);
  }
  return problems;
}
