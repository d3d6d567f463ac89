/**
 * Deliberately biased strategies for the bias checks' tests (never in the registry): each breaks one rule of the
 * strategy contract in a known way, so a check must flag it at a bar the test computes on its own.
 */
import type { CandleSeries } from '@/server/core/candles';
import { BarStrategy, type CommonParams, type PositionView } from '@/server/core/strategies';

const COMMON: CommonParams = { positionSizePct: 100, stopLossPct: null, takeProfitPct: null, trailingStopPct: null };

/** Look-ahead: enters when the NEXT bar closes more than `risePct` above this one; exits when it closes lower. */
export class PeekingStrategy extends BarStrategy {
  readonly warmup = 0;
  constructor(readonly risePct = 1) {
    super(COMMON);
  }
  protected next(): void {}
  protected entrySignal(series: CandleSeries, i: number): boolean {
    return series.close[i + 1]! > series.close[i]! * (1 + this.risePct / 100);
  }
  protected exitSignal(series: CandleSeries, i: number, _position: PositionView | null): boolean {
    return series.close[i + 1]! < series.close[i]!;
  }
  protected resetState(): void {}
}

/** The first bar on which PeekingStrategy's entry condition holds: where a look-ahead check must flag it. */
export function firstPeekingEntry(series: CandleSeries, risePct = 1): number {
  for (let i = 0; i + 1 < series.length; i++) if (series.close[i + 1]! > series.close[i]! * (1 + risePct / 100)) return i;
  return -1;
}

/**
 * Recursive: enters when the close is above the mean of EVERY close seen so far (an all-history average that never
 * forgets its start), exits when below it.
 */
export class AllHistoryMeanStrategy extends BarStrategy {
  readonly warmup = 1;
  private sum = 0;
  private count = 0;
  private above = false;
  constructor() {
    super(COMMON);
  }
  protected next(series: CandleSeries, i: number): void {
    this.sum += series.close[i]!;
    this.count++;
    this.above = series.close[i]! > this.sum / this.count;
  }
  protected entrySignal(): boolean {
    return this.above;
  }
  protected exitSignal(): boolean {
    return !this.above;
  }
  protected resetState(): void {
    this.sum = this.count = 0;
    this.above = false;
  }
}
