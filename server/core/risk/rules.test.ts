import { describe, expect, it } from 'vitest';
import { DomainError } from '../money/errors';
import { evaluateCircuitBreakers, evaluateRisk, isReducingOrder, stopLossHit, utcDayStartMs, type RiskIntent, type RiskLimits, type RiskState } from './rules';

/** A flat deployment with 10 000 USDT free, at its equity peak, nothing lost today. */
const calm: RiskState = {
  positionQuantity: '0',
  positionEntryPrice: null,
  markPrice: '100',
  freeQuote: '10000',
  freeBase: '0',
  feeRate: '0.001',
  equity: '10000',
  equityPeak: '10000',
  realizedPnlToday: '0',
  unrealizedPnlToday: '0',
};

const buy = (quantity: string, price = '100'): RiskIntent => ({ side: 'buy', quantity, price });
const sell = (quantity: string, price = '100'): RiskIntent => ({ side: 'sell', quantity, price });

/** A long of 10 @ 100 that has the base to sell. */
const long: RiskState = { ...calm, positionQuantity: '10', positionEntryPrice: '100', freeBase: '10' };

describe('evaluateRisk', () => {
  it('allows an order that breaks no rule', () => {
    expect(evaluateRisk(buy('1'), calm, { maxOrderNotional: '1000', maxPositionQuote: '5000' }), 'a small buy').toEqual({
      allowed: true,
    });
  });

  describe('max order notional', () => {
    const limits: RiskLimits = { maxOrderNotional: '1000' };
    it('rejects an order worth more than the limit, allows one worth exactly the limit', () => {
      const verdict = evaluateRisk(buy('10.01'), calm, limits);
      expect(verdict, '1001 > 1000').toMatchObject({ allowed: false, rule: 'max_order_notional', action: 'reject' });
      expect(evaluateRisk(buy('10'), calm, limits).allowed, 'the limit is inclusive').toBe(true);
    });
  });

  describe('max position', () => {
    const limits: RiskLimits = { maxPositionQuote: '1500' };
    it('counts the existing position plus the order', () => {
      expect(evaluateRisk(buy('5'), long, limits), '(10 + 5) × 100 = 1500 is allowed').toEqual({ allowed: true });
      expect(evaluateRisk(buy('5.01'), long, limits), '1501 exceeds 1500').toMatchObject({
        allowed: false,
        rule: 'max_position',
        action: 'reject',
      });
    });
    it('counts a short position by its size', () => {
      const short: RiskState = { ...calm, positionQuantity: '-10', positionEntryPrice: '100', freeBase: '20' };
      expect(evaluateRisk(sell('6'), short, limits), '|−16| × 100 = 1600 > 1500').toMatchObject({ rule: 'max_position' });
    });
  });

  describe('available balance', () => {
    it('rejects a buy whose cost plus fee exceeds free quote', () => {
      const state = { ...calm, freeQuote: '100.09' };
      expect(evaluateRisk(buy('1'), state, {}), '1 × 100 × 1.001 = 100.1 > 100.09').toMatchObject({
        allowed: false,
        rule: 'insufficient_balance',
        action: 'reject',
      });
      expect(evaluateRisk(buy('1'), { ...calm, freeQuote: '100.1' }, {}), 'exactly enough, fee included').toEqual({
        allowed: true,
      });
    });
    it('rejects a sell of more base than is free', () => {
      expect(evaluateRisk(sell('1'), calm, {}), 'nothing to sell').toMatchObject({ rule: 'insufficient_balance' });
      expect(evaluateRisk(sell('10'), long, {}), 'selling all of it').toEqual({ allowed: true });
    });
  });

  describe('stop-loss', () => {
    const limits: RiskLimits = { stopLossFraction: '0.05' };
    it('refuses to add to a position that is past its stop, but not before', () => {
      expect(evaluateRisk(buy('1', '95'), { ...long, markPrice: '95' }, limits), 'down exactly 5%').toMatchObject({
        allowed: false,
        rule: 'stop_loss',
        action: 'reject',
      });
      expect(evaluateRisk(buy('1', '95.01'), { ...long, markPrice: '95.01' }, limits), 'down 4.99%').toEqual({
        allowed: true,
      });
    });
    it('reports a hit for the runner to exit, for longs and shorts', () => {
      expect(stopLossHit({ ...long, markPrice: '94' }, limits), 'long down 6%').toEqual({ adverseMove: '0.06' });
      expect(stopLossHit({ ...long, markPrice: '106' }, limits), 'a long that gained is not stopped').toBeNull();
      const short = { positionQuantity: '-2', positionEntryPrice: '100', markPrice: '105' };
      expect(stopLossHit(short, limits), 'short against by 5%').toEqual({ adverseMove: '0.05' });
      expect(stopLossHit(calm, limits), 'flat: nothing to stop').toBeNull();
    });
  });

  describe('daily loss limit', () => {
    const limits: RiskLimits = { dailyLossLimitQuote: '200' };
    it('adds realized and unrealized PnL since midnight', () => {
      const state = { ...calm, realizedPnlToday: '-150', unrealizedPnlToday: '-50' };
      expect(evaluateRisk(buy('1'), state, limits), '150 + 50 reaches 200').toMatchObject({
        allowed: false,
        rule: 'daily_loss',
        action: 'reject',
      });
      expect(evaluateRisk(buy('1'), { ...state, unrealizedPnlToday: '-49.99' }, limits), '199.99 is under').toEqual({
        allowed: true,
      });
      expect(
        evaluateRisk(buy('1'), { ...state, realizedPnlToday: '-300', unrealizedPnlToday: '120' }, limits),
        'an unrealized gain offsets a realized loss',
      ).toEqual({ allowed: true });
    });
    it('starts the day at 00:00 UTC', () => {
      expect(utcDayStartMs(Date.UTC(2024, 2, 10, 23, 59, 59, 999)), 'same day').toBe(Date.UTC(2024, 2, 10));
      expect(utcDayStartMs(Date.UTC(2024, 2, 11)), 'midnight starts a new day').toBe(Date.UTC(2024, 2, 11));
    });
  });

  describe('max drawdown circuit breaker', () => {
    const limits: RiskLimits = { maxDrawdownFraction: '0.2' };
    it('pauses the deployment with an alert reason once equity is 20% under its peak', () => {
      const state = { ...calm, equityPeak: '12500', equity: '10000' };
      const verdict = evaluateRisk(buy('1'), state, limits);
      expect(verdict, '10000 is 20% under 12500').toMatchObject({ allowed: false, rule: 'max_drawdown', action: 'pause' });
      expect(verdict.allowed ? '' : verdict.reason, 'the alert says how far and what happened').toMatch(/20% below its peak 12500.*paused/);
      expect(evaluateRisk(buy('1'), { ...state, equity: '10000.01' }, limits), 'just under 20%').toEqual({ allowed: true });
      expect(evaluateCircuitBreakers(state, limits), 'the runner can check it without an order').toMatchObject({
        action: 'pause',
      });
    });
    it('outranks the other rules', () => {
      const state = { ...calm, equityPeak: '20000', realizedPnlToday: '-1000' };
      expect(evaluateRisk(buy('1000'), state, { ...limits, dailyLossLimitQuote: '10', maxOrderNotional: '1' }), 'pause comes before any reject').toMatchObject({
        rule: 'max_drawdown',
        action: 'pause',
      });
    });
  });

  describe('orders that reduce the position', () => {
    it('skip every rule but the balance, so an exit is never blocked', () => {
      const distressed: RiskState = {
        ...long,
        markPrice: '50',
        equity: '5000',
        equityPeak: '10000',
        realizedPnlToday: '-5000',
      };
      const limits: RiskLimits = {
        maxDrawdownFraction: '0.1',
        dailyLossLimitQuote: '1',
        stopLossFraction: '0.01',
        maxOrderNotional: '1',
        maxPositionQuote: '1',
      };
      expect(evaluateRisk(sell('10', '50'), distressed, limits), 'closing the whole long').toEqual({ allowed: true });
      expect(evaluateRisk(buy('1', '50'), distressed, limits).allowed, 'but adding is refused').toBe(false);
      expect(evaluateRisk(sell('10', '50'), { ...distressed, freeBase: '4' }, limits), 'the base must be there').toMatchObject({
        rule: 'insufficient_balance',
      });
    });
    it('is a sell of at most a long, or a buy of at most a short', () => {
      expect(isReducingOrder(sell('10'), '10'), 'selling the whole long').toBe(true);
      expect(isReducingOrder(sell('10.1'), '10'), 'selling past the long opens a short').toBe(false);
      expect(isReducingOrder(buy('1'), '-2'), 'covering part of a short').toBe(true);
      expect(isReducingOrder(buy('1'), '0'), 'a buy from flat').toBe(false);
    });
  });

  it('refuses invalid inputs with a DomainError naming the field', () => {
    expect(() => evaluateRisk(buy('0'), calm, {}), 'zero quantity').toThrow(DomainError);
    expect(() => evaluateRisk(buy('1', 'NaN'), calm, {}), 'NaN price').toThrow(/price/);
    expect(() => evaluateRisk(buy('1'), calm, { maxDrawdownFraction: '1.5' }), 'a fraction above 1').toThrow(/maxDrawdownFraction/);
  });
});
