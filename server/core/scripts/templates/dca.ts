import { BarStrategy, defineStrategy, type StrategyParams } from '@cryptobot/sdk';

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

/** Buys `amountPerBuy` on the first bar and every `intervalBars` bars after; never asks to exit (stops and the end of data do). */
class Dca extends BarStrategy<Params> {
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

export default defineStrategy({
  name: 'Dollar-cost averaging',
  description: 'Buys a fixed quote amount every N bars and holds; exits only by stop loss, take profit, trailing stop or end of data.',
  parameters,
  // The instance's warmup, declared so that ranges too short for it are refused before anything runs.
  warmup: '0',
  create: (params) => new Dca(params),
});
