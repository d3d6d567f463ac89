/**
 * How a script run fails, without the native sandbox: the web app (which never loads isolated-vm) imports the
 * backtest job's module, and that module recognises a failed script by this class (script-log.ts). The sandbox
 * (sandbox.ts, worker only) throws it.
 */
import type { ParamIssue } from '@/server/core/strategies/types';

export type ScriptFailureKind = 'error' | 'timeout' | 'memory' | 'params';

export interface ScriptLog {
  readonly lines: readonly string[];
  readonly dropped: number;
}

/**
 * A script failed; `message` is for the user (no host paths, no stack). `log` is what the script printed in this
 * sandbox before the failure and was not taken yet (its author needs it most now; empty if the memory limit killed it).
 */
export class ScriptRuntimeError extends Error {
  constructor(
    readonly kind: ScriptFailureKind,
    message: string,
    readonly paramIssue: ParamIssue | null = null,
    readonly log: ScriptLog = { lines: [], dropped: 0 },
  ) {
    super(message);
    this.name = 'ScriptRuntimeError';
    // Up to 1000 lines of the user's output: kept for the run's row, never copied into the worker's log line.
    Object.defineProperty(this, 'log', { enumerable: false });
  }
}
