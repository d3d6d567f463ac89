/**
 * A pair-list deployment's orders in a tick: each goes through the same call as a single-symbol deployment's
 * (machine-orders.ts executeTickOrder: a buy sized to the maximum position and risk-checked by buy-verdict.ts, here with
 * the pair's position and the deployment's shared cash, then executed through the orders service's one call), and its
 * fills are turned into what the portfolio machine books. The clientOrderId is derived from (deployment, symbol, step,
 * intent): a retried tick or a restarted worker asks for the same order again and never places a second one.
 */
import { deriveClientOrderId } from '@/server/core/orders';
import type { MachineFill, PortfolioMachine, PortfolioOrder } from '@/server/core/trading';
import { executeTickOrder, type TickContext } from './machine-orders';

export type PortfolioTickContext = Omit<TickContext, 'machine'> & { machine: PortfolioMachine };

/** The clientOrderId of a pair-list deployment's order: one per (deployment, symbol, step, intent). */
export function portfolioClientOrderId(deploymentId: string, symbol: string, barTimeMs: number, intent: PortfolioOrder['intent']): string {
  return deriveClientOrderId({ deploymentId: `${deploymentId}/${symbol}`, barTimeMs, intent });
}

/** Sizes, risk-checks and executes one order of the portfolio machine; its fill, or null when refused. */
export function executePortfolioOrder(ctx: PortfolioTickContext, order: PortfolioOrder): Promise<MachineFill | null> {
  const { rt } = ctx;
  const state = ctx.machine.state;
  const pair = state.pairs[order.pair]!;
  return executeTickOrder(ctx, {
    ...order,
    clientOrderId: portfolioClientOrderId(rt.id, order.symbol, order.decidedOn, order.intent),
    // The maximum position holds per pair; cash, equity and its peak are the deployment's, shared by its pairs.
    state: {
      quantity: pair.quantity,
      entryPrice: pair.entryPrice,
      cash: state.cash,
      equity: state.equity,
      equityPeak: state.equityPeak,
      dayStartEquity: state.dayStartEquity,
    },
    label: `${order.intent} ${order.symbol} decided on ${new Date(order.decidedOn).toISOString()}`,
    decisionKey: `${rt.id}:${order.symbol}:${order.decidedOn}:${order.intent}`,
  });
}
