/**
 * A backtest of a script (worker only: it loads the sandbox). The parameters are validated on the host against the
 * script's declared schema (parseParams, as for a built-in), the script's own cross-parameter rule runs in the
 * sandbox; the engine, fills, fees and slippage are the built-in engine's, run inside the isolate.
 */
import type { BacktestConfig, BacktestResult } from '@/server/core/backtest/types';
import type { CandleSeries } from '@/server/core/candles';
import type { BiasCheckReport } from '@/server/core/robustness/bias';
import { checkScriptDescription, scriptDefinition, type ScriptMeta } from '@/server/core/scripts/description';
import { parseParams, StrategyParamsError } from '@/server/core/strategies/params';
import { DEFAULT_LIMITS, ScriptRuntimeError, withScript, type SandboxLimits, type ScriptLog } from './sandbox';

export interface ScriptBacktest {
  readonly result: BacktestResult;
  readonly meta: ScriptMeta;
  readonly log: ScriptLog;
  /**
   * With `options.plots`: the values of the script's declared plots over the same candles and params, computed in
   * the same isolate after the backtest (the worker stores them with the run's chart); null when the script's
   * plotValues failed (the run itself stands: its chart then has no plots), `plotsError` says why.
   */
  readonly plots: Record<string, Float64Array> | null;
  readonly plotsError?: string;
}

/** Runs `js` (compiled by compile.ts) as strategy `type` over `series`; throws StrategyParamsError or ScriptRuntimeError. */
export async function runScriptBacktest(
  type: string,
  js: string,
  series: CandleSeries,
  rawParams: unknown,
  config: BacktestConfig,
  limits: SandboxLimits = DEFAULT_LIMITS,
  /** the declarations checked when the version was saved: the script must declare the same when it runs */
  expected?: ScriptMeta,
  options: { plots?: boolean } = {},
): Promise<ScriptBacktest> {
  return withScript(
    js,
    async (sandbox, description) => {
      const checked = { meta: checkedMeta(description, expected) };
      const params = parseParams(scriptDefinition(type, checked.meta), rawParams);
      try {
        const result = await sandbox.backtest(series, params, config);
        const log = sandbox.takeLog();
        if (!options.plots || checked.meta.plots.length === 0) return { result, meta: checked.meta, log, plots: null };
        try {
          return { result, meta: checked.meta, log, plots: await sandbox.plotValues(series, params) };
        } catch (error) {
          return { result, meta: checked.meta, log, plots: null, plotsError: error instanceof Error ? error.message : String(error) };
        }
      } catch (error) {
        if (error instanceof ScriptRuntimeError && error.paramIssue) throw new StrategyParamsError(type, [error.paramIssue]);
        throw error;
      }
    },
    limits,
  );
}

/** The bias checks (look-ahead, recursive) of script `type` over `series`, in its sandbox; throws as runScriptBacktest. */
export async function runScriptBiasCheck(
  type: string,
  js: string,
  meta: ScriptMeta,
  series: CandleSeries,
  rawParams: unknown,
  config: BacktestConfig,
  limits: SandboxLimits = DEFAULT_LIMITS,
): Promise<BiasCheckReport> {
  return withScript(
    js,
    async (sandbox, description) => {
      const params = parseParams(scriptDefinition(type, checkedMeta(description, meta)), rawParams);
      try {
        return await sandbox.biasCheck(series, params, config);
      } catch (error) {
        if (error instanceof ScriptRuntimeError && error.paramIssue) throw new StrategyParamsError(type, [error.paramIssue]);
        throw error;
      }
    },
    limits,
  );
}

/**
 * The declarations a loaded script made, checked; with `expected` (those checked when the version was saved), they
 * must be the same.
 */
export function checkedMeta(description: unknown, expected?: ScriptMeta): ScriptMeta {
  const checked = checkScriptDescription(description);
  if (!checked.ok) throw new ScriptRuntimeError('error', `the script's declaration is invalid: ${checked.issues.join('; ')}`);
  if (expected !== undefined && comparable(checked.meta) !== comparable(expected))
    throw new ScriptRuntimeError(
      'error',
      'the script declares different parameters, plots or warm-up when it runs than in its source; declare them as literals only',
    );
  return checked.meta;
}

/** The declarations as text with keys sorted at every level (a stored jsonb value does not keep key order). */
function comparable(meta: ScriptMeta): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
          )
        : value;
  return JSON.stringify(sorted({ parameters: meta.parameters, plots: meta.plots, warmup: meta.warmup ?? null }));
}
