/**
 * A live signal left `pending` (its order's answer was lost and not settled at once) is booked when its order has
 * settled, whether or not its sender ever retries: the worker's reconciler settles the order from the exchange, then
 * calls this, which takes the very step a retry of the signal takes (receive.ts `executeSignal` with the stored body:
 * the same clientOrderId, so nothing is sent again) and books the fill into the deployment's position once.
 * Only signals whose order row has settled are taken: this never sends an order (a `pending` signal whose order row
 * was never written is left to its sender's retry, docs/signals.md).
 */
import type { Db } from '@/db/client';
import { queryRows } from '@/db/raw';
import { TERMINAL_STATUSES } from '@/server/core/orders/state-machine';
import type { OrderDeps } from '@/server/services/orders';
import type { SignalBody } from './body';
import { signalClientOrderId } from './answers';
import { executeSignal } from './execute';

/** Pending signals looked at per call (the oldest first); the next pass takes the rest. */
const BATCH = 100;

type PendingSignal = {
  deployment_id: string;
  user_id: string;
  account_id: string;
  deployment_symbol: string;
  signal_id: string;
  action: SignalBody['action'];
  symbol: string;
  size: string | null;
  price: string | null;
  signal_time: Date | null;
};

/** Books every pending signal whose order has settled; answers how many were booked (executed or refused). */
export async function settlePendingSignals(db: Db, orderDeps: OrderDeps = {}, now: () => number = Date.now): Promise<number> {
  const pending = await queryRows<PendingSignal>(
    db,
    `select s.deployment_id, s.user_id, d.account_id, d.strategy->>'symbol' as deployment_symbol, s.signal_id, s.action, s.symbol,
            s.size, s.price, s.signal_time
       from signals s join deployments d on d.id = s.deployment_id
      where s.outcome = 'pending' and s.signal_id is not null
      order by s.received_at limit ${BATCH}`,
    [],
  );
  if (pending.length === 0) return 0;
  const settled = new Set(
    (
      await queryRows<{ account_id: string; client_order_id: string }>(
        db,
        `select account_id, client_order_id from orders where client_order_id = any($1::text[]) and status = any($2::text[])`,
        [pending.map((p) => signalClientOrderId(p.deployment_id, p.signal_id)), TERMINAL_STATUSES],
      )
    ).map((row) => `${row.account_id} ${row.client_order_id}`),
  );
  let booked = 0;
  for (const p of pending) {
    if (!settled.has(`${p.account_id} ${signalClientOrderId(p.deployment_id, p.signal_id)}`)) continue;
    const body: SignalBody = {
      action: p.action,
      symbol: p.symbol,
      id: p.signal_id,
      ...(p.size !== null && { size: p.size }),
      ...(p.price !== null && { price: p.price }),
      ...(p.signal_time !== null && { time: new Date(p.signal_time).getTime() }),
    };
    await executeSignal(db, p.user_id, p.deployment_id, { accountId: p.account_id, symbol: p.deployment_symbol }, body, now(), orderDeps);
    booked += 1;
  }
  return booked;
}
