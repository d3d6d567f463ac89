import { defineStrategy, type BarContext, type CommonParams, type Decision, type StrategyInstance } from './types';

/** The registry key of the strategy whose decisions come from signals (docs/signals.md). */
export const SIGNAL_STRATEGY_TYPE = 'signal';

/**
 * A deployment's decisions come from outside (a TradingView alert, any HTTP caller) through
 * POST /api/v1/signals/{deploymentId}, never from bars: every bar decides nothing. It has no parameters of its
 * own; of the common ones, positionSizePct sizes a buy signal that carries no `size`. Stops are the sender's.
 */
class SignalStrategy implements StrategyInstance {
  readonly warmup = 0;
  readonly accumulates = true;
  readonly fixedEntryQuote = null;
  constructor(readonly params: Readonly<CommonParams>) {}
  reset(): void {}
  onBar(_ctx: BarContext): Decision {
    return null;
  }
  shouldOpenPosition(): boolean {
    return false;
  }
  shouldClosePosition(): boolean {
    return false;
  }
  generateSignals(series: { length: number }): Int8Array {
    return new Int8Array(series.length);
  }
}

export const signalStrategy = defineStrategy({
  type: SIGNAL_STRATEGY_TYPE,
  name: 'Signals (webhook)',
  description:
    'Takes no decisions from bars: buys, sells and exits arrive as signals (TradingView alerts or any HTTP caller) on the deployment’s webhook. Cannot be backtested.',
  parameters: {},
  decidesBy: 'signals',
  // Stops would need a worker watching every bar; a signal deployment is moved only by its signals (the sender's exit).
  validate: (params) => {
    const common = params as unknown as Partial<CommonParams>;
    for (const name of ['stopLossPct', 'takeProfitPct', 'trailingStopPct'] as const) {
      if (common[name] !== null && common[name] !== undefined)
        return { param: name, message: `${name}: a signal strategy has no stops of its own; send an exit signal instead` };
    }
    return null;
  },
  create: (params) => new SignalStrategy(params),
});

/** Whether a strategy type takes its decisions from signals instead of bars. */
export function isSignalStrategyType(type: string): boolean {
  return type === SIGNAL_STRATEGY_TYPE;
}
