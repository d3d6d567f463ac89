/**
 * The paper order path's two statements (docs/orders.md, "The paper order path"), as fixed SQL texts with
 * positional parameters, sent as prepared statements (db/raw.ts):
 *
 * 1. `insertOrderStatement`: the fence (a deployment's order: its row FOR SHARE, running under the caller's
 *    epoch), the `new` order row (unless its clientOrderId is taken), and the account's two balance rows of
 *    the symbol, FOR UPDATE, in asset order (as PaperExchange.lockBalances locks them).
 * 2. `outcomeStatement`: the new balances, the fill, the order's events and its final state, as
 *    data-modifying CTEs of one statement (they touch different rows, so none depends on another's effect).
 *
 * With BEGIN and COMMIT, a paper order is four statements. The texts are built once per shape.
 */
import { queryRows, rowFromDriver, type Connection, type Statement } from '@/db/raw';
import { fills, orders } from '@/db/schema';
import { engagedLatchesSql, latchFromRow, type EngagedLatch } from '@/server/services/kill-switch/latch';

type OrderRow = typeof orders.$inferSelect;

/** The columns of a `new` order the insert writes; the rest are their defaults. */
export type NewOrderValues = Pick<
  OrderRow,
  'accountId' | 'userId' | 'deploymentId' | 'clientOrderId' | 'exchange' | 'symbol' | 'side' | 'type' | 'quantity' | 'price' | 'stopPrice'
>;

/** A balance row as the insert statement locked it (numeric columns as exact text). */
export interface LockedBalance {
  asset: string;
  free: string;
  used: string;
}

/** The shape of the parameter list: `$n` in order, each with an optional cast. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

const insertTexts = new Map<string, string>();

export interface InsertedOrder {
  fenceHeld: boolean;
  /** null: the clientOrderId was taken (a retry), or the fence did not hold. */
  row: OrderRow | null;
  balances: LockedBalance[];
  /** The kill switch latches that halt the user's trading; when any, nothing was inserted. */
  killSwitch: EngagedLatch[];
}

export async function insertOrderStatement(db: Connection, values: NewOrderValues, options: InsertOptions): Promise<InsertedOrder> {
  const statement = insertOrderSql(values, options);
  return insertedOrder(await queryRows(db, statement.text, statement.params));
}

interface InsertOptions {
  fence?: { deploymentId: string; epoch: number };
  lockBalances?: readonly [string, string];
}

export function insertOrderSql(values: NewOrderValues, options: InsertOptions): Statement {
  const p = new Params();
  const v = values;
  const columns = [
    p.add(v.accountId, '::uuid'),
    p.add(v.userId, '::uuid'),
    p.add(v.deploymentId, '::uuid'),
    p.add(v.clientOrderId),
    p.add(v.exchange),
    p.add(v.symbol),
    p.add(v.side),
    p.add(v.type),
    p.add(v.quantity, '::numeric'),
    p.add(v.price, '::numeric'),
    p.add(v.stopPrice, '::numeric'),
  ];
  const fence = options.fence ? { id: p.add(options.fence.deploymentId, '::uuid'), epoch: p.add(String(options.fence.epoch), '::bigint') } : null;
  const lock = options.lockBalances ? [p.add(options.lockBalances[0]), p.add(options.lockBalances[1])] : null;
  const key = `${fence ? 'f' : ''}${lock ? 'l' : ''}`;
  let text = insertTexts.get(key);
  if (!text) {
    // KILL SWITCH GUARD (server/services/kill-switch/latch.ts): the latches, read FOR SHARE in this first
    // statement, so an engage either waits for this order's transaction or is seen by it; none: no insert.
    const ctes: string[] = [`halt as (${engagedLatchesSql(columns[1]!)})`];
    if (fence) ctes.push(`fence as (select 1 from deployments where id = ${fence.id} and lease_epoch = ${fence.epoch} and state = 'running' for share)`);
    ctes.push(`ins as (
      insert into orders (account_id, user_id, deployment_id, client_order_id, exchange, symbol, side, type, quantity, price, stop_price, status)
      select ${columns.join(', ')}, 'new' where not exists (select 1 from halt) ${fence ? 'and exists (select 1 from fence)' : ''}
      on conflict (account_id, client_order_id) do nothing
      returning *)`);
    if (lock) {
      ctes.push(`bal as (
        select asset, free::text as free, used::text as used from paper_balances
         where account_id = ${columns[0]} and asset in (${lock[0]}, ${lock[1]})
         order by asset for update)`);
    }
    text = `with ${ctes.join(',\n')}
      select ${fence ? 'exists (select 1 from fence)' : 'true'} as fence_held,
             ${lock ? `(select json_agg(json_build_object('asset', asset, 'free', free, 'used', used)) from bal)` : 'null::json'} as locked_balances,
             (select json_agg(latch) from halt) as kill_switch,
             ins.*
        from (select 1) as one left join ins on true`;
    insertTexts.set(key, text);
  }
  return { text, params: p.values };
}

export function insertedOrder(rows: Array<Record<string, unknown>>): InsertedOrder {
  const result = rows[0] as
    (Record<string, unknown> & { fence_held: boolean; locked_balances: LockedBalance[] | null; kill_switch: unknown[] | null }) | undefined;
  if (!result) throw new Error('the order insert returned no row');
  return {
    fenceHeld: result.fence_held,
    row: result.id === null ? null : rowFromDriver(orders, result),
    balances: result.locked_balances ?? [],
    killSwitch: (result.kill_switch ?? []).map(latchFromRow),
  };
}

/** A fill of the order; `executedAt` null: now. */
export type FillValues = Pick<typeof fills.$inferSelect, 'tradeId' | 'quantity' | 'price' | 'fee' | 'feeCurrency' | 'liquidity'> & { executedAt: Date | null };

export interface EventValues {
  type: string;
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
  details: Record<string, unknown>;
}

/** Both balance rows of a paper order's symbol, as the paper exchange computed them (they are locked). */
export interface BalanceWrite {
  rows: ReadonlyArray<{ asset: string; free: string; used: string }>;
}

/** The order's state as the state machine left it. */
export type OrderStateValues = Pick<
  OrderRow,
  'status' | 'statusReason' | 'exchangeOrderId' | 'filledQuantity' | 'filledCost' | 'averagePrice' | 'fees' | 'updatedAt'
>;

/** What the paper exchange sets on its order. */
export type PaperFields = Pick<OrderRow, 'reservation' | 'triggered' | 'priceSource' | 'matchedUntilMs'>;

/** Everything a new paper order's outcome writes. */
export interface OutcomeWrites {
  balances?: BalanceWrite;
  fills: FillValues[];
  events: EventValues[];
  state: OrderStateValues;
  paper?: PaperFields;
}

const outcomeTexts = new Map<string, string>();

/**
 * Writes a new order's outcome in one statement; returns the order row. Its fills are inserted without
 * `on conflict`: the order is this transaction's own and new, so a duplicate would be a bug, and it fails the
 * statement (and the transaction) instead of passing silently.
 */
export async function outcomeStatement(db: Connection, order: { id: string; accountId: string }, writes: OutcomeWrites): Promise<OrderRow> {
  const statement = outcomeSql(order, writes);
  return writtenOrder(order.id, await queryRows(db, statement.text, statement.params));
}

export function outcomeSql(order: { id: string; accountId: string }, writes: OutcomeWrites): Statement {
  const p = new Params();
  const orderId = p.add(order.id, '::uuid');
  // Added on first use: a parameter no statement part uses has no type PostgreSQL can determine.
  let accountParam: string | undefined;
  const accountId = () => (accountParam ??= p.add(order.accountId, '::uuid'));
  const ctes: string[] = [];
  if (writes.balances) {
    const rows = writes.balances.rows.map((r) => `(${p.add(r.asset)}, ${p.add(r.free, '::numeric')}, ${p.add(r.used, '::numeric')})`);
    ctes.push(`w as (
      update paper_balances as b set free = v.free, used = v.used, updated_at = now()
        from (values ${rows.join(', ')}) as v(asset, free, used)
       where b.account_id = ${accountId()} and b.asset = v.asset)`);
  }
  if (writes.fills.length > 0) {
    const rows = writes.fills.map(
      (f) =>
        `(${orderId}, ${accountId()}, ${p.add(f.tradeId)}, ${p.add(f.quantity, '::numeric')}, ${p.add(f.price, '::numeric')}, ${p.add(f.fee, '::numeric')}, ${p.add(f.feeCurrency)}, ${p.add(f.liquidity)}, coalesce(${p.add(f.executedAt?.toISOString() ?? null, '::timestamptz')}, now()))`,
    );
    ctes.push(`f as (
      insert into fills (order_id, account_id, trade_id, quantity, price, fee, fee_currency, liquidity, executed_at)
      values ${rows.join(', ')})`);
  }
  if (writes.events.length > 0) {
    const rows = writes.events.map(
      (e) => `(${orderId}, ${p.add(e.type)}, ${p.add(e.fromStatus)}, ${p.add(e.toStatus)}, ${p.add(e.reason)}, ${p.add(JSON.stringify(e.details), '::jsonb')})`,
    );
    ctes.push(`e as (insert into order_events (order_id, type, from_status, to_status, reason, details) values ${rows.join(', ')})`);
  }
  const s = writes.state;
  const set = [
    `status = ${p.add(s.status)}`,
    `status_reason = ${p.add(s.statusReason)}`,
    `exchange_order_id = ${p.add(s.exchangeOrderId)}`,
    `filled_quantity = ${p.add(s.filledQuantity, '::numeric')}`,
    `filled_cost = ${p.add(s.filledCost, '::numeric')}`,
    `average_price = ${p.add(s.averagePrice, '::numeric')}`,
    `fees = ${p.add(JSON.stringify(s.fees), '::jsonb')}`,
    `updated_at = ${p.add(s.updatedAt.toISOString(), '::timestamptz')}`,
  ];
  if (writes.paper) {
    const w = writes.paper;
    set.push(
      `reservation = ${p.add(w.reservation === null ? null : JSON.stringify(w.reservation), '::jsonb')}`,
      `triggered = ${p.add(w.triggered, '::boolean')}`,
      `price_source = ${p.add(w.priceSource)}`,
      `matched_until_ms = ${p.add(w.matchedUntilMs === null ? null : String(w.matchedUntilMs), '::bigint')}`,
    );
  }
  ctes.push(`o as (update orders set ${set.join(', ')} where id = ${orderId} returning *)`);
  const key = `${writes.balances?.rows.length ?? 0}|${writes.fills.length}|${writes.events.length}|${writes.paper ? 'p' : ''}`;
  let text = outcomeTexts.get(key);
  if (!text) {
    text = `with ${ctes.join(',\n')}
      select o.* from o`;
    outcomeTexts.set(key, text);
  }
  return { text, params: p.values };
}

export function writtenOrder(orderId: string, rows: Array<Record<string, unknown>>): OrderRow {
  const [result] = rows;
  if (!result) throw new Error(`order ${orderId} not found`);
  return rowFromDriver(orders, result);
}
