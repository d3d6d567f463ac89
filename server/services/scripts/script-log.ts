/**
 * A script's log as the backtests table stores it (ScriptLogRow), read from a run's outcome. Free of the native
 * sandbox: the web app imports the backtest job's module for its types.
 */
import type { ScriptLogRow } from '@/db/schema/backtests';
import { ScriptRuntimeError } from './errors';

/** The log a failed script printed before it failed (ScriptRuntimeError carries it), or null for any other error. */
export function failedScriptLog(error: unknown): ScriptLogRow | null {
  if (!(error instanceof ScriptRuntimeError)) return null;
  return { lines: [...error.log.lines], dropped: error.log.dropped };
}
