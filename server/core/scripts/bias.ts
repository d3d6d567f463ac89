/**
 * The bias checks (core/robustness/bias.ts) of a script, inside its isolate (bundled by runtime.ts): the check's
 * runs each get a fresh instance whose candles follow the series the check decides over (the whole one, the one
 * with the future hidden, the one with it changed), shown up to the decided bar only, as in a backtest. The
 * look-ahead check passes by construction (a script cannot read a later bar); the recursive one says whether the
 * script's decisions depend on more history than its warm-up.
 */
import type { CandleSeries } from '../candles';
import type { BacktestConfig } from '../backtest/types';
import { checkBias, type BiasCheckReport } from '../robustness/bias';
import type { StrategyInstance } from '../strategies/types';
import { SandboxedInstance } from './instance';
import { GrowingSeries } from './live';

/**
 * A script's candles that copy, on each reveal, the bars up to the decided one from the series decided over. That
 * series holds every bar (the whole one, or the one changed after the middle bar, whose bars give the real ones back),
 * and built-ins run in the script's realm: it is read bar by bar only (GrowingSeries.copy), never handed to a
 * built-in a script could have patched.
 */
class FollowingSeries extends GrowingSeries {
  private source: CandleSeries | null = null;

  override reveal(i: number, source: CandleSeries): void {
    const held = source === this.source ? this.count : 0;
    const from = held <= i ? held : i + 1;
    this.source = source;
    if (from <= i) this.copy(source, from, i + 1);
    super.reveal(i, source);
  }

  override forget(): void {
    super.forget();
    this.source = null;
  }
}

export function scriptBiasCheck(
  series: CandleSeries,
  create: () => StrategyInstance,
  params: StrategyInstance['params'],
  config: BacktestConfig,
): BiasCheckReport {
  return checkBias(series, () => new SandboxedInstance(create(), params, new FollowingSeries()), config);
}
