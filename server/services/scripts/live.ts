/**
 * A script version deciding for a paper or live deployment (worker only: it loads the sandbox). One isolate per
 * deployment, kept warm between closed candles and disposed when the worker drops the deployment
 * (services/deployments/runtime.ts disposeRuntime). On the host it is a StrategyInstance like a built-in's, so the
 * strategy machine (core/trading) runs it through the same path: each `onBar` hands the isolate the bars it has
 * not seen yet (up to the decided bar, never after it: core/scripts/live.ts) and returns the script's decision,
 * within the decision's time limit.
 *
 * A decision that fails (the script throws, returns something else, runs out of time or memory) throws a
 * StrategyDecisionError, and keeps throwing it: the tick fails the deployment through the transition table
 * (`strategy_failed`), the worker goes on with its other deployments.
 */
import type { DbOrTx } from '@/db/client';
import type { CandleSeries } from '@/server/core/candles';
import { scriptDefinition } from '@/server/core/scripts/description';
import { StrategyDecisionError } from '@/server/core/strategies/decision-error';
import { parseParams } from '@/server/core/strategies/params';
import type { BarContext, Decision, PositionView, StrategyInstance } from '@/server/core/strategies/types';
import { checkedMeta } from './run';
import { LOG_MAX_LINES } from '@/server/core/scripts/log';
import { DEFAULT_LIMITS, ScriptRuntimeError, ScriptSandbox, type SandboxLimits, type ScriptLog } from './sandbox';
import { runnableScript } from './scripts';

/** A script's instance for a deployment; `dispose()` frees its isolate. */
export interface ScriptStrategy extends StrategyInstance {
  dispose(): void;
  /** What the script printed since the last call (its decisions', a failed one's included); clears it. */
  takeLog(): ScriptLog;
}

class SandboxedScriptStrategy implements ScriptStrategy {
  /** bars the isolate holds (0..sent−1), and the open time of the last one: whether the next call continues them */
  private sent = 0;
  private lastSentTime = Number.NaN;
  private failure: StrategyDecisionError | null = null;
  /** printed since the last takeLog: the lines a deployment keeps are its latest (deployments/script-log.ts) */
  private printed: string[] = [];
  private printedDropped = 0;

  constructor(
    private readonly sandbox: ScriptSandbox,
    readonly params: StrategyInstance['params'],
    readonly warmup: number,
    readonly accumulates: boolean,
    readonly fixedEntryQuote: number | null,
  ) {}

  reset(): void {
    this.sent = 0;
    this.lastSentTime = Number.NaN;
  }

  onBar(ctx: BarContext, position: PositionView | null = null): Decision {
    if (this.failure) throw this.failure;
    const { series, index } = ctx;
    const continues = this.sent > 0 && this.sent <= series.length && series.time[this.sent - 1] === this.lastSentTime;
    const from = continues ? Math.min(this.sent, index + 1) : 0;
    try {
      const decision = this.sandbox.liveBar(series, from, index, position === null ? null : [position.entryPrice, position.entryTime, position.quantity]);
      this.sent = index + 1;
      this.lastSentTime = series.time[index]!;
      this.keep(this.sandbox.takeLog());
      return decision;
    } catch (error) {
      if (error instanceof ScriptRuntimeError) this.keep(error.log);
      this.sandbox.dispose();
      this.failure = new StrategyDecisionError(`the script failed on the bar of ${barTime(series, index)}: ${messageOf(error)}`);
      throw this.failure;
    }
  }

  shouldOpenPosition(ctx: BarContext): boolean {
    return this.onBar(ctx, null) === 'enter';
  }

  shouldClosePosition(position: PositionView, ctx: BarContext): boolean {
    return this.onBar(ctx, position) === 'exit';
  }

  generateSignals(): Int8Array {
    throw new Error('generateSignals is not available for scripts');
  }

  dispose(): void {
    this.sandbox.dispose();
  }

  takeLog(): ScriptLog {
    const out = { lines: this.printed, dropped: this.printedDropped };
    this.printed = [];
    this.printedDropped = 0;
    return out;
  }

  /** Appends a decision's lines, keeping only the latest LOG_MAX_LINES between two takes (the older are counted). */
  private keep(log: ScriptLog): void {
    if (log.lines.length === 0 && log.dropped === 0) return;
    this.printed.push(...log.lines);
    this.printedDropped += log.dropped;
    const over = this.printed.length - LOG_MAX_LINES;
    if (over > 0) {
      this.printed.splice(0, over);
      this.printedDropped += over;
    }
  }
}

function barTime(series: CandleSeries, index: number): string {
  const time = series.time[index];
  return time === undefined || !Number.isFinite(time) ? `bar ${index}` : new Date(time).toISOString();
}

function messageOf(error: unknown): string {
  if (error instanceof ScriptRuntimeError) return error.message;
  return `the sandbox stopped it (${error instanceof Error ? error.message.slice(0, 300) : String(error)})`;
}

/**
 * Loads script version `type` for `userId` (readable to them now), checks it is the version pinned at deploy time
 * (`pinnedHash`), validates `rawParams` against its schema on the host, and starts its instance in a new isolate.
 * Throws (an AppError, StrategyParamsError or ScriptRuntimeError) when it cannot: the deployment cannot start.
 */
export async function loadScriptStrategy(
  db: DbOrTx,
  userId: string,
  type: string,
  rawParams: unknown,
  pinnedHash: string | undefined,
  limits: SandboxLimits = DEFAULT_LIMITS,
): Promise<ScriptStrategy> {
  const script = await runnableScript(db, userId, type);
  if (pinnedHash !== undefined && script.hash !== pinnedHash)
    throw new ScriptRuntimeError('error', `script version ${type} is not the one deployed (its hash changed); deploy the strategy again`);
  const params = parseParams(scriptDefinition(type, script.meta), rawParams);
  const { sandbox, description } = await ScriptSandbox.load(script.compiled, limits);
  try {
    checkedMeta(description, script.meta);
    const shape = await sandbox.liveStart(params);
    return new SandboxedScriptStrategy(sandbox, params as StrategyInstance['params'], shape.warmup, shape.accumulates, shape.fixedEntryQuote);
  } catch (error) {
    sandbox.dispose();
    throw error;
  }
}
