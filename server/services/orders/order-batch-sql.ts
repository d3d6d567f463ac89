/**
 * The paper order path's two statements for SEVERAL orders at once (a batch of paper ticks in one transaction:
 * server/worker/tick-batch.ts), each a fixed text over `jsonb_to_recordset` of the orders' values, sent as a
 * prepared statement (db/raw.ts). They do for every order in them what order-sql.ts's two statements do for one:
 *
 * 1. `insertOrdersSql`: the kill switch latches of every order's user, read FOR SHARE; each order's `new` row
 *    (unless its user is halted, or its clientOrderId is taken); and each order's two balance rows, FOR UPDATE, in
 *    (account, asset) order. One row per order, in the orders' order, shaped as insertOrderSql's answer.
 * 2. `outcomesSql`: every order's new balances, fills, events and final state, as data-modifying CTEs (they touch
 *    different rows); the events and fills are inserted in the orders' order, each order's in its own order. One
 *    row per order (the order row), in any order.
 *
 * Used only inside a transaction that already holds what insertOrderSql's fence would check (a deployment tick's
 * row FOR UPDATE under its epoch): the batch form has no per-order fence. The SQL is the same for any number of
 * orders, so each connection prepares it once.
 */
import { queryRows, type Connection, type Statement } from '@/db/raw';
import { engagedLatchesOfUsersSql } from '@/server/services/kill-switch/latch';
import type { NewOrderValues, OutcomeWrites } from './order-sql';

/** One order of the batch's insert: its values and the two assets whose balance rows it locks. */
export interface OrderInsertRequest {
  values: NewOrderValues;
  lockBalances: readonly [string, string];
}

const INSERT_ORDERS = `with req as materialized (
    select * from jsonb_to_recordset($1::jsonb) as r(
      n int, account_id uuid, user_id uuid, deployment_id uuid, client_order_id text, exchange text, symbol text, side text,
      type text, quantity numeric, price numeric, stop_price numeric, asset1 text, asset2 text)),
  halt as materialized (${engagedLatchesOfUsersSql('select user_id from req')}),
  ins as (
    insert into orders (account_id, user_id, deployment_id, client_order_id, exchange, symbol, side, type, quantity, price, stop_price, status)
    select account_id, user_id, deployment_id, client_order_id, exchange, symbol, side, type, quantity, price, stop_price, 'new'
      from req where not exists (select 1 from halt where halt.user_id = req.user_id or halt.user_id is null)
     order by n
    on conflict (account_id, client_order_id) do nothing
    returning *),
  bal as materialized (
    select b.account_id, b.asset, b.free::text as free, b.used::text as used from paper_balances b
     where (b.account_id, b.asset) in (select account_id, asset1 from req union select account_id, asset2 from req)
     order by b.account_id, b.asset for update of b)
  select req.n, true as fence_held,
         (select json_agg(json_build_object('asset', bal.asset, 'free', bal.free, 'used', bal.used) order by bal.asset)
            from bal where bal.account_id = req.account_id and bal.asset in (req.asset1, req.asset2)) as locked_balances,
         (select json_agg(halt.latch) from halt where halt.user_id = req.user_id or halt.user_id is null) as kill_switch,
         ins.*
    from req left join ins on ins.account_id = req.account_id and ins.client_order_id = req.client_order_id
   order by req.n`;

/** The insert of every request's `new` row, with its latches and locked balances (answers: insertedOrdersOf). */
function insertOrdersSql(requests: readonly OrderInsertRequest[]): Statement {
  const rows = requests.map(({ values: v, lockBalances }, n) => ({
    n,
    account_id: v.accountId,
    user_id: v.userId,
    deployment_id: v.deploymentId,
    client_order_id: v.clientOrderId,
    exchange: v.exchange,
    symbol: v.symbol,
    side: v.side,
    type: v.type,
    quantity: v.quantity,
    price: v.price,
    stop_price: v.stopPrice,
    asset1: lockBalances[0],
    asset2: lockBalances[1],
  }));
  return { text: INSERT_ORDERS, params: [JSON.stringify(rows)] };
}

/** The insert's answer per request, in the requests' order: each as insertOrderSql's one row (order-sql.ts insertedOrder). */
function insertedOrdersOf(rows: Array<Record<string, unknown>>, count: number): Array<Array<Record<string, unknown>>> {
  if (rows.length !== count) throw new Error(`the batch's order insert returned ${rows.length} rows for ${count} orders`);
  return rows.map((row) => [row]);
}

/**
 * What a batch offers a paper order in its transaction (tick-batch.ts): the order's two statements, sent with the
 * other members' as one insert and one outcome statement. Each resolves with the rows the order's own statement
 * (insertOrderSql, outcomeSql) would have returned.
 */
export interface PaperOrderStatements {
  insert(request: OrderInsertRequest): Promise<Array<Record<string, unknown>>>;
  outcome(request: OrderOutcomeRequest): Promise<Array<Record<string, unknown>>>;
}

/** One order's outcome in the batch: the order and everything outcomeSql would write for it. */
export interface OrderOutcomeRequest {
  order: { id: string; accountId: string };
  writes: OutcomeWrites;
}

const OUTCOMES = `with w as (
    update paper_balances as b set free = v.free, used = v.used, updated_at = now()
      from jsonb_to_recordset($1::jsonb) as v(account_id uuid, asset text, free numeric, used numeric)
     where b.account_id = v.account_id and b.asset = v.asset),
  f as (
    insert into fills (order_id, account_id, trade_id, quantity, price, fee, fee_currency, liquidity, executed_at)
    select order_id, account_id, trade_id, quantity, price, fee, fee_currency, liquidity, coalesce(executed_at, now())
      from jsonb_to_recordset($2::jsonb) as v(n int, order_id uuid, account_id uuid, trade_id text, quantity numeric, price numeric,
        fee numeric, fee_currency text, liquidity text, executed_at timestamptz)
     order by n),
  e as (
    insert into order_events (order_id, type, from_status, to_status, reason, details)
    select order_id, type, from_status, to_status, reason, details
      from jsonb_to_recordset($3::jsonb) as v(n int, order_id uuid, type text, from_status text, to_status text, reason text, details jsonb)
     order by n),
  o as (
    update orders as o set status = v.status, status_reason = v.status_reason, exchange_order_id = v.exchange_order_id,
           filled_quantity = v.filled_quantity, filled_cost = v.filled_cost, average_price = v.average_price, fees = v.fees,
           updated_at = v.updated_at,
           reservation = case when v.paper then v.reservation else o.reservation end,
           triggered = case when v.paper then v.triggered else o.triggered end,
           price_source = case when v.paper then v.price_source else o.price_source end,
           matched_until_ms = case when v.paper then v.matched_until_ms else o.matched_until_ms end
      from jsonb_to_recordset($4::jsonb) as v(id uuid, status text, status_reason text, exchange_order_id text, filled_quantity numeric,
        filled_cost numeric, average_price numeric, fees jsonb, updated_at timestamptz, paper boolean, reservation jsonb,
        triggered boolean, price_source text, matched_until_ms bigint)
     where o.id = v.id
    returning o.*)
  select o.* from o`;

/**
 * Every request's outcome in one statement (answers: outcomesOf). A fill is inserted without `on conflict`, as
 * outcomeSql inserts it: a duplicate fails the statement, and with it the batch's transaction.
 */
function outcomesSql(requests: readonly OrderOutcomeRequest[]): Statement {
  const balances: unknown[] = [];
  const fills: unknown[] = [];
  const events: unknown[] = [];
  const states: unknown[] = [];
  for (const { order, writes } of requests) {
    for (const r of writes.balances?.rows ?? []) balances.push({ account_id: order.accountId, asset: r.asset, free: r.free, used: r.used });
    for (const f of writes.fills) {
      fills.push({
        n: fills.length,
        order_id: order.id,
        account_id: order.accountId,
        trade_id: f.tradeId,
        quantity: f.quantity,
        price: f.price,
        fee: f.fee,
        fee_currency: f.feeCurrency,
        liquidity: f.liquidity,
        executed_at: f.executedAt?.toISOString() ?? null,
      });
    }
    for (const e of writes.events) {
      events.push({
        n: events.length,
        order_id: order.id,
        type: e.type,
        from_status: e.fromStatus,
        to_status: e.toStatus,
        reason: e.reason,
        details: e.details,
      });
    }
    const s = writes.state;
    const paper = writes.paper;
    states.push({
      id: order.id,
      status: s.status,
      status_reason: s.statusReason,
      exchange_order_id: s.exchangeOrderId,
      filled_quantity: s.filledQuantity,
      filled_cost: s.filledCost,
      average_price: s.averagePrice,
      fees: s.fees,
      updated_at: s.updatedAt.toISOString(),
      paper: paper !== undefined,
      reservation: paper?.reservation ?? null,
      triggered: paper?.triggered ?? false,
      price_source: paper?.priceSource ?? null,
      matched_until_ms: paper?.matchedUntilMs === null || paper?.matchedUntilMs === undefined ? null : String(paper.matchedUntilMs),
    });
  }
  return { text: OUTCOMES, params: [JSON.stringify(balances), JSON.stringify(fills), JSON.stringify(events), JSON.stringify(states)] };
}

/** The outcome's answer per request, in the requests' order: each the order's row as outcomeSql returns it. */
function outcomesOf(rows: Array<Record<string, unknown>>, requests: readonly OrderOutcomeRequest[]): Array<Array<Record<string, unknown>>> {
  const byId = new Map(rows.map((row) => [String(row.id), row]));
  return requests.map(({ order }) => {
    const row = byId.get(order.id);
    return row ? [row] : [];
  });
}

/** Sends the insert of every request (issued at the call); resolves each request's answer, in order. */
export async function insertOrders(tx: Connection, requests: readonly OrderInsertRequest[]): Promise<Array<Array<Record<string, unknown>>>> {
  const statement = insertOrdersSql(requests);
  return insertedOrdersOf(await queryRows(tx, statement.text, statement.params), requests.length);
}

/** Sends every request's outcome in one statement (issued at the call); resolves each request's answer, in order. */
export async function writeOutcomes(tx: Connection, requests: readonly OrderOutcomeRequest[]): Promise<Array<Array<Record<string, unknown>>>> {
  const statement = outcomesSql(requests);
  return outcomesOf(await queryRows(tx, statement.text, statement.params), requests);
}
