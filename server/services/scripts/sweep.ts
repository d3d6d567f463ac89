/**
 * A sweep of a script version (worker only: it loads the sandbox). The cells run one after another in one isolate,
 * in the job (the sweep thread pool runs built-ins only): each cell is the script's backtest with those parameters,
 * so its metrics are exactly those of a backtest of the same cell (run.ts). A cell whose parameters the script
 * refuses, or that throws, records its error and the sweep goes on; one that goes over a limit loses the isolate,
 * which is loaded again for the next cell.
 */
import { BacktestCancelledError, type BacktestConfig } from '@/server/core/backtest/types';
import type { CandleSeries } from '@/server/core/candles';
import type { ScriptMeta } from '@/server/core/scripts/description';
import { StrategyParamsError } from '@/server/core/strategies/params';
import { checkedMeta } from './run';
import { DEFAULT_LIMITS, ScriptRuntimeError, ScriptSandbox, type SandboxLimits } from './sandbox';

export interface ScriptSweepCell {
  readonly index: number;
  readonly params: Readonly<Record<string, unknown>>;
  /** null when the cell failed (see error) */
  readonly metrics: Awaited<ReturnType<ScriptSandbox['backtest']>>['metrics'] | null;
  readonly error: string | null;
}

export interface ScriptSweepOptions {
  readonly signal?: AbortSignal;
  /** after each cell: (cells done, total) */
  readonly onProgress?: (done: number, total: number) => void;
  readonly limits?: SandboxLimits;
}

/**
 * Runs each of `combos` (validated against the version's schema: generateGrid) as a backtest of script `type`
 * (compiled `js`, declaring `meta`) over `series`. Rejects with BacktestCancelledError when `signal` aborts.
 */
export async function runScriptSweep(
  type: string,
  js: string,
  meta: ScriptMeta,
  series: CandleSeries,
  combos: ReadonlyArray<Readonly<Record<string, unknown>>>,
  config: BacktestConfig,
  options: ScriptSweepOptions = {},
): Promise<ScriptSweepCell[]> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const load = async () => {
    const { sandbox, description } = await ScriptSandbox.load(js, limits);
    try {
      checkedMeta(description, meta);
      return sandbox;
    } catch (error) {
      sandbox.dispose();
      throw error;
    }
  };
  let sandbox: ScriptSandbox | null = null;
  const cells: ScriptSweepCell[] = [];
  try {
    for (let index = 0; index < combos.length; index++) {
      if (options.signal?.aborted) throw new BacktestCancelledError();
      const params = combos[index]!;
      sandbox ??= await load();
      try {
        cells.push({ index, params, metrics: (await sandbox.backtest(series, params, config)).metrics, error: null });
      } catch (error) {
        if (!(error instanceof ScriptRuntimeError)) throw error;
        // The same message a backtest of this cell fails with (run.ts turns a refused parameter into StrategyParamsError).
        const message = error.paramIssue ? new StrategyParamsError(type, [error.paramIssue]).message : error.message;
        cells.push({ index, params, metrics: null, error: message });
        if (sandbox.disposed) sandbox = null;
      }
      options.onProgress?.(index + 1, combos.length);
    }
    return cells;
  } finally {
    sandbox?.dispose();
  }
}
