/**
 * A script's log as the backtests table stores it (ScriptLogRow), read from a run's outcome. Free of the native
 * sandbox: the web app imports the backtest job's module for its types.
 */
import type { ScriptLogRow } from '@/db/schema/backtests';

/**
 * The log a failed script printed before it failed (sandbox.ts's ScriptRuntimeError carries it), or null for any
 * other error. Read by shape: the error class lives in the native sandbox's module.
 */
export function failedScriptLog(error: unknown): ScriptLogRow | null {
  if (!(error instanceof Error) || error.name !== 'ScriptRuntimeError') return null;
  const log = (error as Error & { log?: { lines?: unknown; dropped?: unknown } }).log;
  if (!log || !Array.isArray(log.lines) || typeof log.dropped !== 'number') return null;
  return { lines: log.lines.filter((line): line is string => typeof line === 'string'), dropped: log.dropped };
}
