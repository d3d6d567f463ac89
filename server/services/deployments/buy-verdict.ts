/**
 * The one verdict on a deployment's buy, whoever decided it: a strategy's entry in a tick (machine-orders.ts) or a
 * buy signal (services/signals/decide.ts). Sales are never blocked and never come here.
 *
 *   1. Size: the wanted quantity, cut down to fit the deployment's maximum position at the buy's expected fill price
 *      (reference price + slippage) instead of being refused outright.
 *   2. Risk: server/core/risk's evaluateRisk with the deployment's own state as its inputs (cash, position, equity
 *      and its peak as marked by the caller, the loss since the UTC day's start) and its limits.
 *   3. What each verdict does:
 *      - `buy`: the caller sends the order with `quantity`;
 *      - `refuse` (the position is at its maximum, max order notional, daily loss, stop loss, cash): a `risk_rejected`
 *        alert (a notification of kind order_rejected); the decision is dropped;
 *      - `pause` (a circuit breaker: max drawdown): a critical `circuit_breaker` alert (notification circuit_breaker),
 *        and the deployment must be paused: the caller does it with `pauseForRisk` (the transition table's
 *        `risk_halt` under its lease epoch, the strategy's lifecycle event, the `deployment` event) once its own
 *        writes of the state are done, in the same transaction where it has one.
 */
import type { DbOrTx } from '@/db/client';
import { evaluateRisk, type RiskRule } from '@/server/core/risk';
import type { MachineState } from '@/server/core/trading';
import type { AccountRow } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';
import { numberToDecimalString, riskLimitsOf } from './machine-orders';
import type { DeploymentRow } from './model';

export type BuyVerdict =
  { kind: 'buy'; quantity: number } | { kind: 'refuse'; rule: RiskRule; reason: string } | { kind: 'pause'; rule: RiskRule; reason: string };

export interface BuyRequest {
  row: Pick<DeploymentRow, 'id' | 'userId' | 'maxPositionQuote' | 'riskLimits'>;
  account: Pick<AccountRow, 'id' | 'feeRate' | 'slippage'>;
  /** The deployment's state, its equity and peak marked at the caller's latest price. */
  state: Pick<MachineState, 'quantity' | 'entryPrice' | 'cash' | 'equity' | 'equityPeak' | 'dayStartEquity'>;
  /** Base quantity wanted (the strategy machine's sizing, or a signal's `size`). */
  quantity: number;
  /** The fill model's reference price of the buy (a bar's open, the latest price). */
  referencePrice: number;
}

/** Steps 1 and 2: the verdict alone (pure). */
export function buyVerdict(request: BuyRequest): BuyVerdict {
  const { row, account, state, referencePrice } = request;
  let quantity = request.quantity;
  if (row.maxPositionQuote !== null) {
    const room = Number(row.maxPositionQuote) / (referencePrice * (1 + Number(account.slippage ?? 0))) - state.quantity;
    quantity = Math.min(quantity, room * (1 - 1e-9));
  }
  if (!(quantity > 0)) return { kind: 'refuse', rule: 'max_position', reason: `the position is already at its maximum (${row.maxPositionQuote})` };
  const verdict = evaluateRisk(
    { side: 'buy', quantity: numberToDecimalString(quantity), price: numberToDecimalString(referencePrice) },
    {
      positionQuantity: numberToDecimalString(state.quantity),
      positionEntryPrice: state.quantity > 0 ? numberToDecimalString(state.entryPrice) : null,
      markPrice: numberToDecimalString(referencePrice),
      freeQuote: numberToDecimalString(state.cash),
      freeBase: numberToDecimalString(state.quantity),
      feeRate: String(Number(account.feeRate ?? '0.001')),
      equity: numberToDecimalString(state.equity),
      equityPeak: numberToDecimalString(state.equityPeak),
      realizedPnlToday: numberToDecimalString(state.equity - state.dayStartEquity),
      unrealizedPnlToday: '0',
    },
    // The maximum position was applied by sizing, above.
    { ...riskLimitsOf(row), maxPositionQuote: undefined },
  );
  if (verdict.allowed) return { kind: 'buy', quantity };
  if (verdict.action === 'pause') return { kind: 'pause', rule: verdict.rule, reason: verdict.reason };
  return { kind: 'refuse', rule: verdict.rule, reason: `refused by the ${verdict.rule.replace(/_/g, ' ')} rule: ${verdict.reason}` };
}

/**
 * Steps 1–3: the verdict, with its alert raised on `on` (the caller's transaction, if any). `label` names the buy in
 * the alert ("enter decided on …", "signal b1 (buy)"); `decisionKey` is unique per decision (alert dedupe keys).
 */
export async function decideBuy(on: DbOrTx, request: BuyRequest & { label: string; decisionKey: string }): Promise<BuyVerdict> {
  const verdict = buyVerdict(request);
  if (verdict.kind === 'buy') return verdict;
  const base = { userId: request.row.userId, deploymentId: request.row.id, accountId: request.account.id };
  if (verdict.kind === 'pause')
    await raiseAlert(on, {
      ...base,
      kind: 'circuit_breaker',
      severity: 'critical',
      message: verdict.reason,
      details: { rule: verdict.rule, decision: request.label },
      dedupeKey: `breaker:${request.decisionKey}`,
    });
  else
    await raiseAlert(on, {
      ...base,
      kind: 'risk_rejected',
      severity: 'warning',
      message: `${request.label}: ${verdict.reason}`.slice(0, 500),
      details: { rule: verdict.rule },
      dedupeKey: `risk:${request.decisionKey}`,
    });
  return verdict;
}
