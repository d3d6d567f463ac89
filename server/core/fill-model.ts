/**
 * The one fill model shared by the backtest engine and the paper exchange, so a paper deployment on a
 * replay reproduces the backtest of the same candles trade for trade.
 *
 * `slippage` and `feeRate` are fractions (0.001 = 0.1%). Prices are in quote currency per unit of base.
 */
export type Side = 'buy' | 'sell';

/** Market order fill price: buys pay ref × (1 + slippage), sells receive ref × (1 − slippage). */
export function marketFillPrice(side: Side, referencePrice: number, slippage: number): number {
  return side === 'buy' ? referencePrice * (1 + slippage) : referencePrice * (1 - slippage);
}

/** Fee in quote currency: feeRate × fill price × quantity. */
export function tradeFee(feeRate: number, fillPrice: number, quantity: number): number {
  return feeRate * fillPrice * quantity;
}

/**
 * Quantity bought when spending `cash × positionSizePct / 100` with the fee on top:
 * cash × p/100 / (fill price × (1 + feeRate)).
 */
export function entryQuantity(cash: number, positionSizePct: number, fillPrice: number, feeRate: number): number {
  return (cash * positionSizePct) / 100 / (fillPrice * (1 + feeRate));
}
