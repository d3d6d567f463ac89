import { describe, expect, it } from 'vitest';
import { DomainError } from '../money/errors';
import { applyBalanceDelta, cancelOrderEffect, fillOrderEffect, placeOrderEffect, type PaperBalances } from './balances';
import { matchOrder, type PaperOrder } from './matching';

const wallet: PaperBalances = { baseFree: '2', baseUsed: '0', quoteFree: '1000', quoteUsed: '0' };
const costs = { feeRate: 0.001, slippage: 0.001 };

describe('placing an order', () => {
  it('reserves quantity × limit × (1 + feeRate) quote for a limit buy', () => {
    const placed = placeOrderEffect(wallet, { side: 'buy', type: 'limit', quantity: '5', limitPrice: '100' }, costs);
    expect(placed.ok, '501 of 1000 is free').toBe(true);
    if (!placed.ok) return;
    expect(placed.reservation, '5 × 100 × 1.001').toEqual({ currency: 'quote', amount: '500.5' });
    expect(placed.delta, 'free to used').toEqual({ baseFree: '0', baseUsed: '0', quoteFree: '-500.5', quoteUsed: '500.5' });
    expect(placed.balances, 'the new balances').toEqual({ baseFree: '2', baseUsed: '0', quoteFree: '499.5', quoteUsed: '500.5' });
  });

  it('reserves at reference × (1 + slippage) for a market buy and the quantity for a sell', () => {
    const market = placeOrderEffect(wallet, { side: 'buy', type: 'market', quantity: '1' }, { ...costs, referencePrice: '100' });
    expect(market.ok && market.reservation.amount, '1 × 100.1 × 1.001').toBe('100.2001');
    const sell = placeOrderEffect(wallet, { side: 'sell', type: 'limit', quantity: '1.5', limitPrice: '100' }, costs);
    expect(sell.ok && sell.reservation, 'sells reserve base').toEqual({ currency: 'base', amount: '1.5' });
    expect(() => placeOrderEffect(wallet, { side: 'buy', type: 'market', quantity: '1' }, costs), 'no price to reserve at').toThrow(/referencePrice/);
  });

  it('rejects with "insufficient balance" when free funds do not cover it, fee included', () => {
    const buy = placeOrderEffect(wallet, { side: 'buy', type: 'limit', quantity: '10', limitPrice: '100' }, costs);
    expect(buy, '10 × 100 × 1.001 = 1001 > 1000').toEqual({
      ok: false,
      reason: 'insufficient balance',
      required: '1001',
      available: '1000',
    });
    const exact = placeOrderEffect(wallet, { side: 'buy', type: 'limit', quantity: '10', limitPrice: '99.9000999000999' }, { ...costs });
    expect(exact.ok, 'just under 1000 fits').toBe(true);
    const sell = placeOrderEffect(wallet, { side: 'sell', type: 'market', quantity: '2.01' }, costs);
    expect(sell.ok === false && sell.reason, 'cannot sell more base than is free').toBe('insufficient balance');
  });
});

describe('filling and canceling', () => {
  it('a buy fill releases the reservation, pays cost + fee and credits base; the rest returns to free', () => {
    const order: PaperOrder = { side: 'buy', type: 'limit', quantity: '5', limitPrice: '100' };
    const placed = placeOrderEffect(wallet, order, costs);
    if (!placed.ok) throw new Error('placement failed');
    const match = matchOrder(order, { kind: 'candle', open: 101, high: 102, low: 98, close: 99 }, costs);
    if (!match.filled) throw new Error('limit should fill');
    const filled = fillOrderEffect(placed.balances, 'buy', placed.reservation, match.fill);
    expect(filled.ok && filled.balances, '1000 − 500 − 0.5 fee; 2 + 5 base; nothing left in used').toEqual({
      baseFree: '7',
      baseUsed: '0',
      quoteFree: '499.5',
      quoteUsed: '0',
    });
  });

  it('a buy filled cheaper than reserved gets the difference back', () => {
    const order: PaperOrder = { side: 'buy', type: 'limit', quantity: '1', limitPrice: '100' };
    const placed = placeOrderEffect(wallet, order, costs);
    if (!placed.ok) throw new Error('placement failed');
    const filled = fillOrderEffect(placed.balances, 'buy', placed.reservation, { price: '90', quantity: '1', fee: '0.09' });
    expect(filled.ok && filled.balances.quoteFree, '1000 − 90.09').toBe('909.91');
  });

  it('a market buy that gapped past its reservation takes the rest from free, or is refused', () => {
    const poor: PaperBalances = { baseFree: '0', baseUsed: '0', quoteFree: '100.2001', quoteUsed: '0' };
    const placed = placeOrderEffect(poor, { side: 'buy', type: 'market', quantity: '1' }, { ...costs, referencePrice: '100' });
    if (!placed.ok) throw new Error('placement failed');
    const refused = fillOrderEffect(placed.balances, 'buy', placed.reservation, { price: '120', quantity: '1', fee: '0.12' });
    expect(refused, 'the gap cost more than the account holds').toMatchObject({ ok: false, reason: 'insufficient balance' });
  });

  it('a sell fill delivers the reserved base and credits proceeds less fee', () => {
    const order: PaperOrder = { side: 'sell', type: 'market', quantity: '2' };
    const placed = placeOrderEffect(wallet, order, costs);
    if (!placed.ok) throw new Error('placement failed');
    const match = matchOrder(order, { kind: 'trade', price: 100 }, costs);
    if (!match.filled) throw new Error('market should fill');
    const filled = fillOrderEffect(placed.balances, 'sell', placed.reservation, match.fill);
    expect(filled.ok && filled.balances, '2 × 99.9 = 199.8, fee 0.1998').toEqual({
      baseFree: '0',
      baseUsed: '0',
      quoteFree: '1199.6002',
      quoteUsed: '0',
    });
  });

  it('canceling releases the reservation exactly', () => {
    const placed = placeOrderEffect(wallet, { side: 'buy', type: 'limit', quantity: '3', limitPrice: '33.3333' }, costs);
    if (!placed.ok) throw new Error('placement failed');
    const canceled = cancelOrderEffect(placed.balances, placed.reservation);
    expect(canceled.ok && canceled.balances, 'back to where we started').toEqual(wallet);
    const sell = placeOrderEffect(wallet, { side: 'sell', type: 'limit', quantity: '1', limitPrice: '100' }, costs);
    if (!sell.ok) throw new Error('placement failed');
    expect(cancelOrderEffect(sell.balances, sell.reservation).ok && cancelOrderEffect(sell.balances, sell.reservation), 'base too').toMatchObject({
      balances: wallet,
    });
  });

  it('never lets a balance go negative', () => {
    expect(() => applyBalanceDelta(wallet, { baseFree: '-3', baseUsed: '0', quoteFree: '0', quoteUsed: '0' }), 'releasing more than is held is a bug').toThrow(
      DomainError,
    );
  });
});
