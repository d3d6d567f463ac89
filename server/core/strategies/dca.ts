import { BarStrategy } from './bar-strategy';
import { defineStrategy, type StrategyParams } from './types';

const parameters = {
  intervalBars: { label: 'Buy every', unit: 'bars', type: 'integer', default: 24, min: 1, max: 100_000, description: 'Buy once every this many bars.' },
  amountPerBuy: {
    label: 'Amount per buy',
    unit: 'quote',
    type: 'float',
    default: 100,
    min: 0,
    exclusiveMin: true,
    max: 1e12,
    description: 'Quote currency spent per buy, fee included (all remaining cash when less is left).',
  },
} as const;

type Params = StrategyParams<typeof parameters>;

/**
 * Dollar-cost averaging: an 'enter' decision on the 1st bar it sees and every `intervalBars` bars after
 * (bars counted from the first bar of the series, or from the start of a live deployment); each one buys
 * `amountPerBuy` of quote (fee included) and adds to the open position. It never asks to exit: the position
 * ends through the common stopLossPct / takeProfitPct / trailingStopPct (measured from the average entry
 * price) or at the end of the data. positionSizePct does not apply.
 */
export class DcaStrategy extends BarStrategy<Params> {
  readonly warmup = 0;
  override readonly accumulates = true;
  override readonly fixedEntryQuote: number;
  private barsSeen = 0;
  private buyThisBar = false;

  constructor(params: Params) {
    super(params);
    this.fixedEntryQuote = params.amountPerBuy;
  }

  protected next(): void {
    this.buyThisBar = this.barsSeen % this.params.intervalBars === 0;
    this.barsSeen++;
  }

  protected entrySignal(): boolean {
    return this.buyThisBar;
  }

  protected exitSignal(): boolean {
    return false;
  }

  protected resetState(): void {
    this.barsSeen = 0;
    this.buyThisBar = false;
  }
}

export const dca = defineStrategy({
  type: 'dca',
  name: 'Dollar-cost averaging',
  description: 'Buys a fixed quote amount every N bars and holds; exits only by stop loss, take profit, trailing stop or end of data.',
  parameters,
  create: (params) => new DcaStrategy(params),
});
