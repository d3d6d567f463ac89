import type { CandleSeries } from '../candles';
import type { IndicatorColumns } from '../indicators/columns';
import type { SteppingIndicator } from '../indicators/types';
import { BarStrategy } from './bar-strategy';
import type { StrategyParams } from './types';

/** The parameters of a moving-average crossover; the averages differ only in their help text and defaults. */
export function crossoverParameters(kind: 'simple' | 'exponential', defaults: { fast: number; slow: number }) {
  return {
    fastPeriod: { type: 'integer', default: defaults.fast, min: 1, max: 1000, description: `Bars in the fast ${kind} moving average of closes.` },
    slowPeriod: { type: 'integer', default: defaults.slow, min: 2, max: 5000, description: `Bars in the slow ${kind} moving average of closes.` },
  } as const;
}

export type CrossoverParams = StrategyParams<ReturnType<typeof crossoverParameters>>;

export const crossoverValidate = (p: CrossoverParams) =>
  p.fastPeriod < p.slowPeriod ? null : { param: 'fastPeriod', message: 'fastPeriod must be less than slowPeriod' };

/**
 * Enter when MA(fast) > MA(slow) on bar i and MA(fast) ≤ MA(slow) on bar i − 1; exit on the opposite
 * cross (fast < slow on i, fast ≥ slow on i − 1). Both averages must exist on both bars.
 */
export class MovingAverageCrossoverStrategy extends BarStrategy<CrossoverParams> {
  readonly warmup: number;
  private readonly fast: SteppingIndicator;
  private readonly slow: SteppingIndicator;
  private fastValue = Number.NaN;
  private slowValue = Number.NaN;
  private previousFast = Number.NaN;
  private previousSlow = Number.NaN;
  /** both averages at every bar of the series being run, when the engine shares columns (useColumns) */
  private fastColumn: Float64Array | null = null;
  private slowColumn: Float64Array | null = null;

  /**
   * `average` builds the streaming average; `column` computes the same average at every index of an input
   * (its batch form, e.g. sma(values, period)), named `kind` in shared columns.
   */
  constructor(
    params: CrossoverParams,
    average: (period: number) => SteppingIndicator,
    private readonly column?: { readonly kind: string; readonly batch: (values: Float64Array, period: number) => Float64Array },
  ) {
    super(params);
    this.fast = average(params.fastPeriod);
    this.slow = average(params.slowPeriod);
    this.warmup = Math.max(params.fastPeriod, params.slowPeriod);
  }

  protected next(series: CandleSeries, i: number): void {
    this.previousFast = this.fastValue;
    this.previousSlow = this.slowValue;
    if (this.fastColumn !== null && this.slowColumn !== null) {
      this.fastValue = this.fastColumn[i]!;
      this.slowValue = this.slowColumn[i]!;
    } else {
      const close = series.close[i]!;
      // step(x) ≡ update(x) ?? NaN, without a heap number per value
      this.fastValue = this.fast.step(close);
      this.slowValue = this.slow.step(close);
    }
  }

  protected override bindColumns(series: CandleSeries, columns: IndicatorColumns): boolean {
    const column = this.column;
    if (!column) return false;
    const fast = columns.get(series.close, `${column.kind}:${this.params.fastPeriod}`, (values) => column.batch(values, this.params.fastPeriod));
    const slow = fast && columns.get(series.close, `${column.kind}:${this.params.slowPeriod}`, (values) => column.batch(values, this.params.slowPeriod));
    if (!fast || !slow) return false;
    this.fastColumn = fast;
    this.slowColumn = slow;
    return true;
  }

  protected override unbindColumns(): void {
    this.fastColumn = this.slowColumn = null;
  }

  // NaN compares false, so an undefined average on either bar never signals.
  protected entrySignal(): boolean {
    return this.fastValue > this.slowValue && this.previousFast <= this.previousSlow;
  }

  protected exitSignal(): boolean {
    return this.fastValue < this.slowValue && this.previousFast >= this.previousSlow;
  }

  protected resetState(): void {
    this.fast.reset();
    this.slow.reset();
    this.fastValue = this.slowValue = this.previousFast = this.previousSlow = Number.NaN;
  }
}
