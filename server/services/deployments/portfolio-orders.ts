/**
 * A pair-list deployment's orders in a tick: each is sized (the maximum position, per pair), risk-checked with the
 * pair's position and the deployment's shared cash (server/core/risk, as machine-orders.ts does for one symbol),
 * executed through the orders service's one call (executeOrder) and its fills turned into what the portfolio
 * machine books. The clientOrderId is derived from (deployment, symbol, step, intent): a retried tick or a restarted
 * worker asks for the same order again and never places a second one.
 */
import { deriveClientOrderId } from '@/server/core/orders';
import { evaluateRisk } from '@/server/core/risk';
import type { MachineFill, PortfolioMachine, PortfolioOrder } from '@/server/core/trading';
import { raiseAlert } from '@/server/services/alerts';
import { executeOrder } from '@/server/services/orders';
import { fixedPrice, machineFill, numberToDecimalString, riskLimitsOf, StopTick, WaitForOrder, type TickContext } from './machine-orders';

export type PortfolioTickContext = Omit<TickContext, 'machine'> & { machine: PortfolioMachine };

/** The clientOrderId of a pair-list deployment's order: one per (deployment, symbol, step, intent). */
export function portfolioClientOrderId(deploymentId: string, symbol: string, barTimeMs: number, intent: PortfolioOrder['intent']): string {
  return deriveClientOrderId({ deploymentId: `${deploymentId}/${symbol}`, barTimeMs, intent });
}

/** Sizes, risk-checks and executes one order of the portfolio machine; its fill, or null when refused. */
export async function executePortfolioOrder(ctx: PortfolioTickContext, order: PortfolioOrder): Promise<MachineFill | null> {
  const { rt } = ctx;
  const row = rt.row;
  const state = ctx.machine.state;
  const pair = state.pairs[order.pair]!;
  const on = ctx.tx ?? ctx.db;
  let quantity = order.quantity;
  const expectedPrice = order.referencePrice;
  if (order.side === 'buy' && row.maxPositionQuote !== null) {
    // The maximum position holds per pair: an entry is sized down to fit it instead of being refused.
    const room = Number(row.maxPositionQuote) / (expectedPrice * (1 + Number(rt.account.slippage ?? 0))) - pair.quantity;
    quantity = Math.min(quantity, room * (1 - 1e-9));
  }
  const alertBase = { userId: rt.userId, deploymentId: rt.id, accountId: rt.account.id };
  const dedupeKey = `risk:${rt.id}:${order.symbol}:${order.decidedOn}:${order.intent}`;
  if (!(quantity > 0)) {
    await raiseAlert(on, {
      ...alertBase,
      kind: 'risk_rejected',
      severity: 'warning',
      message: `${order.intent} ${order.symbol} on ${new Date(order.decidedOn).toISOString()} skipped: the position is already at its maximum (${row.maxPositionQuote})`,
      dedupeKey,
    });
    return null;
  }
  if (order.side === 'buy') {
    const verdict = evaluateRisk(
      { side: 'buy', quantity: numberToDecimalString(quantity), price: numberToDecimalString(expectedPrice) },
      {
        positionQuantity: numberToDecimalString(pair.quantity),
        positionEntryPrice: pair.quantity > 0 ? numberToDecimalString(pair.entryPrice) : null,
        markPrice: numberToDecimalString(expectedPrice),
        freeQuote: numberToDecimalString(state.cash),
        freeBase: numberToDecimalString(pair.quantity),
        feeRate: String(Number(rt.account.feeRate ?? '0.001')),
        equity: numberToDecimalString(state.equity),
        equityPeak: numberToDecimalString(state.equityPeak),
        realizedPnlToday: numberToDecimalString(state.equity - state.dayStartEquity),
        unrealizedPnlToday: '0',
      },
      { ...riskLimitsOf(row), maxPositionQuote: undefined },
    );
    if (!verdict.allowed) {
      if (verdict.action === 'pause') {
        ctx.paused = { reason: verdict.reason };
        await raiseAlert(on, {
          ...alertBase,
          kind: 'circuit_breaker',
          severity: 'critical',
          message: verdict.reason,
          dedupeKey: `breaker:${rt.id}:${order.decidedOn}`,
        });
        throw new StopTick(verdict.reason);
      }
      await raiseAlert(on, {
        ...alertBase,
        kind: 'risk_rejected',
        severity: 'warning',
        message: `${order.intent} ${order.symbol} refused by the ${verdict.rule.replace(/_/g, ' ')} rule: ${verdict.reason}`,
        details: { rule: verdict.rule },
        dedupeKey,
      });
      return null;
    }
  }
  const input = {
    accountId: rt.account.id,
    symbol: order.symbol,
    side: order.side,
    type: 'market' as const,
    quantity: numberToDecimalString(quantity),
    clientOrderId: portfolioClientOrderId(rt.id, order.symbol, order.decidedOn, order.intent),
    deploymentId: rt.id,
  };
  const feed = `${row.feed.type} ${row.strategy.exchange} ${row.strategy.timeframe}`;
  const executed = ctx.tx
    ? await executeOrder(ctx.db, rt.userId, rt.account, input, {
        tx: ctx.tx,
        prices: fixedPrice(expectedPrice, order.fillBarTime, feed),
        fitQuantity: order.side === 'sell',
        announce: (event) => ctx.notifications.push(event),
        deps: ctx.deps,
      })
    : await executeOrder(ctx.db, rt.userId, rt.account, { ...input, fenceEpoch: rt.epoch }, { fitQuantity: true, settleAtOnce: true, deps: ctx.deps });
  if (executed === null) return null; // below the market's quantity step
  ctx.ordersPlaced++;
  const placed = executed.order;
  switch (placed.status) {
    case 'filled':
      return machineFill(placed.symbol, executed.fills, order.side, order.fillBarTime);
    case 'rejected':
    case 'canceled':
    case 'expired': {
      const partial = machineFill(placed.symbol, executed.fills, order.side, order.fillBarTime);
      if (partial) return partial;
      await raiseAlert(on, {
        ...alertBase,
        orderId: placed.id,
        kind: 'order_rejected',
        severity: 'warning',
        message: `${order.side} ${numberToDecimalString(quantity)} ${order.symbol} (${order.intent}) was ${placed.status}: ${placed.statusReason ?? 'no reason given'}`,
        dedupeKey: `order:${placed.id}`,
      });
      return null;
    }
    default:
      throw new WaitForOrder(placed.id, placed.status);
  }
}
