import { describe, expect, it } from 'vitest';
import { marketFillPrice, tradeFee } from '../fill-model';
import { DomainError } from '../money/errors';
import { matchOrder, type FillParams, type PaperOrder, type PriceEvent } from './matching';

const params: FillParams = { slippage: 0.001, feeRate: 0.001 };
const noCosts: FillParams = { slippage: 0, feeRate: 0 };
const candle = (open: number, high: number, low: number, close: number): PriceEvent => ({ kind: 'candle', open, high, low, close });

function fillPrice(order: PaperOrder, event: PriceEvent, p: FillParams = noCosts): string | null {
  const result = matchOrder(order, event, p);
  return result.filled ? result.fill.price : null;
}

describe('market orders', () => {
  it('fill at the next candle open with slippage against the taker, fee on the fill price', () => {
    const result = matchOrder({ side: 'buy', type: 'market', quantity: '2' }, candle(100, 110, 90, 105), params);
    expect(result.filled, 'a market order always fills on the next event').toBe(true);
    if (!result.filled) return;
    expect(result.fill.priceNumber, 'the fill model decides the price').toBe(marketFillPrice('buy', 100, 0.001));
    expect(result.fill.price, 'buys pay open × (1 + slippage)').toBe('100.1');
    expect(result.fill.quantity, 'paper orders fill completely').toBe('2');
    expect(result.fill.fee, 'fee = feeRate × fillPrice × quantity').toBe(String(tradeFee(0.001, 100.1, 2)));
    expect(result.fill.fee, 'which is 0.2002 quote').toBe('0.2002');
    expect(result.fill.liquidity, 'market orders take liquidity').toBe('taker');
  });

  it('sells receive the open less slippage, and a trade event acts as the next price', () => {
    expect(fillPrice({ side: 'sell', type: 'market', quantity: '1' }, candle(200, 210, 190, 205), params), '200 × 0.999').toBe('199.8');
    expect(fillPrice({ side: 'buy', type: 'market', quantity: '1' }, { kind: 'trade', price: 50 }), 'the trade price').toBe('50');
  });
});

describe('limit orders', () => {
  const buyLimit: PaperOrder = { side: 'buy', type: 'limit', quantity: '1', limitPrice: '95' };
  const sellLimit: PaperOrder = { side: 'sell', type: 'limit', quantity: '1', limitPrice: '105' };

  it('a buy fills at the limit when the low reaches it, at the open when it opens through it', () => {
    expect(fillPrice(buyLimit, candle(100, 101, 95, 99)), 'the low touches 95').toBe('95');
    expect(fillPrice(buyLimit, candle(93, 96, 92, 94)), 'opened below the limit: fill at the open').toBe('93');
    expect(fillPrice(buyLimit, candle(100, 101, 95.01, 99)), 'never reached: rests').toBeNull();
  });

  it('a sell fills at the limit when the high reaches it, at the open when it opens through it', () => {
    expect(fillPrice(sellLimit, candle(100, 105, 99, 101)), 'the high touches 105').toBe('105');
    expect(fillPrice(sellLimit, candle(107, 108, 104, 106)), 'opened above the limit: fill at the open').toBe('107');
    expect(fillPrice(sellLimit, candle(100, 104.99, 99, 101)), 'never reached: rests').toBeNull();
  });

  it('pays no slippage but pays the fee', () => {
    const result = matchOrder(buyLimit, candle(100, 101, 94, 99), params);
    expect(result.filled && [result.fill.price, result.fill.fee, result.fill.liquidity], 'maker fill at the limit').toEqual(['95', '0.095', 'maker']);
  });
});

describe('stop orders', () => {
  it('a stop-market buy triggers when the high touches the stop, then fills as a market order there', () => {
    const stop: PaperOrder = { side: 'buy', type: 'stop_market', quantity: '1', stopPrice: '105' };
    expect(matchOrder(stop, candle(100, 104, 99, 103), params), 'not touched').toEqual({ filled: false, triggered: false });
    const result = matchOrder(stop, candle(100, 106, 99, 105), params);
    expect(result.filled && result.triggered, 'touched: triggered and filled').toBe(true);
    expect(result.filled && result.fill.priceNumber, 'stop × (1 + slippage), by the fill model').toBe(marketFillPrice('buy', 105, 0.001));
    expect(result.filled && result.fill.price, 'shown without float noise: 105 × 1.001 (the float is 105.10499999999999)').toBe('105.105');
    expect(result.filled && result.fill.fee, 'fee = feeRate × shown price × quantity, exactly').toBe('0.105105');
    expect(fillPrice(stop, candle(108, 109, 107, 108)), 'a gap above the stop fills at the open').toBe('108');
  });

  it('a stop-market sell (stop-loss) triggers when the low touches the stop', () => {
    const stop: PaperOrder = { side: 'sell', type: 'stop_market', quantity: '1', stopPrice: '90' };
    expect(fillPrice(stop, candle(100, 101, 89, 95)), 'touched within the candle').toBe('90');
    expect(fillPrice(stop, candle(85, 87, 80, 86)), 'gapped down: fills at the open, worse than the stop').toBe('85');
    expect(fillPrice(stop, candle(100, 101, 90.5, 95)), 'not touched').toBeNull();
  });

  it('a stop-limit fills on the trigger when the trigger is within the limit, else rests triggered', () => {
    const stopLimit: PaperOrder = { side: 'buy', type: 'stop_limit', quantity: '1', stopPrice: '105', limitPrice: '106' };
    expect(fillPrice(stopLimit, candle(100, 107, 99, 106)), 'triggered at 105 ≤ 106').toBe('105');
    const gapped = matchOrder(stopLimit, candle(110, 111, 104, 108), noCosts);
    expect(gapped, 'opened at 110 above the 106 limit: triggered, not filled').toEqual({ filled: false, triggered: true });
    const resting = { ...stopLimit, triggered: true };
    expect(fillPrice(resting, candle(108, 109, 105.5, 107)), 'then a limit buy at 106').toBe('106');
    expect(fillPrice(resting, candle(108, 109, 106.5, 107)), 'which needs the low to reach 106').toBeNull();
    expect(fillPrice(stopLimit, candle(100, 104, 99, 103)), 'not triggered').toBeNull();
  });

  it('a stop-limit sell mirrors it', () => {
    const stopLimit: PaperOrder = { side: 'sell', type: 'stop_limit', quantity: '1', stopPrice: '90', limitPrice: '89' };
    expect(fillPrice(stopLimit, candle(95, 96, 88, 89)), 'triggered at 90 ≥ 89').toBe('90');
    expect(matchOrder(stopLimit, candle(85, 86, 84, 85), noCosts), 'gapped below the limit').toEqual({ filled: false, triggered: true });
  });
});

describe('validation', () => {
  it.each([
    [{ side: 'buy', type: 'limit', quantity: '1' } as PaperOrder, 'limitPrice'],
    [{ side: 'buy', type: 'stop_market', quantity: '1' } as PaperOrder, 'stopPrice'],
    [{ side: 'buy', type: 'market', quantity: '0' } as PaperOrder, 'quantity'],
  ])('refuses an incomplete order (%#)', (order, field) => {
    expect(() => matchOrder(order, candle(1, 1, 1, 1), noCosts), `${field} is checked`).toThrow(DomainError);
  });

  it('refuses an impossible candle and an absurd fee rate', () => {
    const order: PaperOrder = { side: 'buy', type: 'market', quantity: '1' };
    expect(() => matchOrder(order, candle(100, 99, 98, 99), noCosts), 'high below open').toThrow(/low\/high/);
    expect(() => matchOrder(order, candle(Number.NaN, 1, 1, 1), noCosts), 'NaN price').toThrow(DomainError);
    expect(() => matchOrder(order, candle(1, 1, 1, 1), { slippage: 0, feeRate: 1 }), 'a 100% fee').toThrow(/feeRate/);
  });
});
