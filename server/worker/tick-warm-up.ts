/**
 * Warming the paper tick path's JavaScript before the first burst (docs/performance.md, "The aligned burst").
 *
 * A fresh worker's first burst of paper ticks runs code V8 has not compiled yet: measured, ~1.7× the worker CPU of
 * a later burst, and on a live 1-minute feed that burst is hundreds of deployments due at one instant. So once the
 * worker holds paper deployments and the next one is due later than a moment away, it runs the tick path — the
 * batch (tick-batch.ts), the tick and its frame, the strategy machine, the buy verdict, the paper exchange's fill
 * model, the order state machine, the statements' texts and parameters, the rows' mapping — over throwaway
 * deployments: copies of the claimed ones' strategies and accounts with new ids, on synthetic candles, against a
 * STAND-IN database that answers each statement from its parameters in memory and is connected to nothing.
 *
 * Nothing here is given the worker's database, so it cannot write to it or lock anything, and nothing touches a
 * claimed runtime (its strategy instance, bars and row are not shared: fresh instances of the same type and
 * parameters). What is not warmed: the driver's wire protocol (the claims and the first ticks already exercise it).
 */
import { randomUUID } from 'node:crypto';
import { getTableColumns } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import type { Db } from '@/db/client';
import * as schema from '@/db/schema';
import { allocateSeries, type CandleSeries } from '@/server/core/candles';
import { isScriptType } from '@/server/core/scripts/script-type';
import { createStrategy } from '@/server/core/strategies/registry';
import { initialMachineState } from '@/server/core/trading';
import { BarBuffer, type DeploymentDeps, type DeploymentRuntime } from '@/server/services/deployments';
import { tickPaperBatch } from './tick-batch';

/** Where the throwaway feeds start (any aligned time: nothing is stored). */
const ORIGIN_MS = Date.UTC(2020, 0, 1);

export interface WarmUpOptions {
  /** Stop starting batches at this wall time (ms). */
  untilMs: number;
  /** Ticks at most (default 2,000: about two bursts' worth, what a later burst has behind it). */
  maxTicks?: number;
  /** Deployments per batch (default 50, the runner's batch size). */
  batchSize?: number;
  /** Wall clock (tests). */
  clock?: () => number;
}

/**
 * Ticks throwaway copies of `templates` (paper, built-in strategies; others are skipped) until `untilMs` or
 * `maxTicks`; returns how many ticks ran. Never throws, never reaches a database (file comment).
 */
export async function warmUpPaperTicks(templates: readonly DeploymentRuntime[], options: WarmUpOptions): Promise<{ ticks: number; orders: number }> {
  const clock = options.clock ?? Date.now;
  const maxTicks = options.maxTicks ?? 2_000;
  const size = options.batchSize ?? 50;
  const kinds = distinctTemplates(templates);
  if (kinds.length === 0) return { ticks: 0, orders: 0 };
  const runtimes: DeploymentRuntime[] = Array.from({ length: size }, (_, i) => throwawayRuntime(kinds[i % kinds.length]!));
  const db = standInDatabase();
  let feedNow = ORIGIN_MS + 60 * runtimes[0]!.barMs + 1;
  const deps: DeploymentDeps = { now: () => feedNow, readCandles: async (_db, _key, startMs, endMs) => syntheticCandles(startMs, endMs, runtimes[0]!.barMs) };
  let ticks = 0;
  let orders = 0;
  try {
    while (ticks < maxTicks && clock() < options.untilMs) {
      for (const { result } of await tickPaperBatch(db, runtimes, deps)) {
        ticks++;
        if (result.status === 'fulfilled') orders += result.value.orders;
      }
      feedNow += runtimes[0]!.barMs;
      await new Promise((resolve) => setImmediate(resolve)); // the worker's I/O (LISTEN, answers) between batches
    }
  } catch {
    // Best effort: a warm-up that fails has only not warmed.
  }
  return { ticks, orders };
}

/** One template per strategy type and timeframe (their code paths); scripts and pair lists are not warmed. */
function distinctTemplates(templates: readonly DeploymentRuntime[]): DeploymentRuntime[] {
  const byKind = new Map<string, DeploymentRuntime>();
  for (const rt of templates) {
    if (rt.portfolio || rt.disposeStrategy || isScriptType(rt.row.strategy.type)) continue;
    const key = `${rt.row.strategy.type}|${rt.row.strategy.timeframe}`;
    if (!byKind.has(key) && byKind.size < 8) byKind.set(key, rt);
  }
  // One timeframe for the synthetic clock: the most common kind's.
  const kinds = [...byKind.values()];
  return kinds.filter((rt) => rt.barMs === kinds[0]?.barMs);
}

function throwawayRuntime(template: DeploymentRuntime): DeploymentRuntime {
  const id = randomUUID();
  const row = template.row;
  return {
    ...template,
    id,
    epoch: 1,
    row: {
      ...row,
      id,
      accountId: id,
      state: 'running',
      feed: { type: 'replay', startMs: ORIGIN_MS, speed: 1 },
      feedClock: { feedTimeMs: ORIGIN_MS, wallMs: ORIGIN_MS },
      runner: initialMachineState(Number(row.capitalQuote)) as unknown as Record<string, unknown>,
      // Bar 58 processed: each tick closes one bar and fills at the next one's open, as a live burst's tick does.
      lastBarTime: ORIGIN_MS + 58 * template.barMs,
      lastDecision: null,
    },
    account: { ...template.account, id },
    strategy: createStrategy(row.strategy.type, row.strategy.params),
    bars: new BarBuffer(),
    simulated: null,
    nextDueMs: 0,
    lastStored: null,
    portfolio: null,
    disposeStrategy: null,
  };
}

/** Candles opening in [startMs, endMs): a slow wave, so crossing strategies both buy and sell. */
function syntheticCandles(startMs: number, endMs: number, barMs: number): CandleSeries {
  const first = Math.ceil(startMs / barMs) * barMs;
  const length = Math.max(0, Math.ceil((endMs - first) / barMs));
  const series = allocateSeries(length);
  for (let i = 0; i < length; i++) {
    const time = first + i * barMs;
    const price = Math.round(100 * (100 + 5 * Math.sin(time / barMs / 9))) / 100;
    series.time[i] = time;
    series.open[i] = price;
    series.high[i] = price + 0.5;
    series.low[i] = price - 0.5;
    series.close[i] = price + 0.01;
    series.volume[i] = 10;
  }
  return { ...series, length };
}

const ORDER_COLUMNS = Object.values(getTableColumns(schema.orders)).map((column) => column.name);

/**
 * A drizzle handle whose "connection" answers every statement at once from its parameters, as PostgreSQL would
 * answer the paper tick's statements on a deployment that is running under its epoch with ample balances: fences
 * held, no kill switch, orders inserted, state writes held. Anything else gets no rows.
 */
export function standInDatabase(): Db {
  const orders = new Map<string, Record<string, unknown>>();
  const answer = (text: string, params: readonly unknown[]): Array<Record<string, unknown>> => {
    if (text.includes('jsonb_to_recordset') && text.includes('for update of d')) {
      return (JSON.parse(String(params[0])) as Array<{ n: number }>).map(({ n }) => ({ n, held: true, kill_switch: null }));
    }
    if (text.includes('for update of d')) return [{ id: params[0], kill_switch: null }];
    if (text.includes('update deployments d')) return (JSON.parse(String(params[0])) as Array<{ id: string }>).map(({ id }) => ({ id }));
    if (text.includes('update deployments set runner')) return [{ id: params[4] }];
    if (text.includes('insert into orders') && text.includes('jsonb_to_recordset')) {
      // The batch's insert (order-batch-sql.ts insertOrdersSql): one answer per order, in order.
      const requests = JSON.parse(String(params[0])) as Array<Record<string, unknown>>;
      return requests.map((r) => ({ n: r.n, ...insertedOrderRow(orders, r) }));
    }
    if (text.includes('update orders as o')) {
      // The batch's outcome (outcomesSql): each order's row with its new status.
      const states = JSON.parse(String(params[3])) as Array<{ id: string; status: string }>;
      return states.flatMap(({ id, status }) => {
        const row = orders.get(id);
        orders.delete(id);
        return row ? [{ ...row, status }] : [];
      });
    }
    if (text.includes('insert into orders')) {
      const [account_id, user_id, deployment_id, client_order_id, exchange, symbol, side, type, quantity, price, stop_price] = params;
      return [insertedOrderRow(orders, { account_id, user_id, deployment_id, client_order_id, exchange, symbol, side, type, quantity, price, stop_price })];
    }
    if (text.includes('update orders set')) {
      const row = orders.get(String(params[0]));
      orders.delete(String(params[0]));
      const status = /status = \$(\d+)/.exec(text);
      return row ? [{ ...row, status: status ? params[Number(status[1]) - 1] : row.status }] : [];
    }
    if (text.includes('from "paper_balances"')) return [{ free: '1000000' }];
    return [];
  };
  const query = (text: string, params: readonly unknown[] = []) => {
    const rows = answer(text, params);
    return {
      execute: () => Promise.resolve(rows),
      values: () => Promise.resolve(rows.map((row) => Object.values(row))),
      then: <R>(resolve: (value: typeof rows) => R, reject?: (error: unknown) => R) => Promise.resolve(rows).then(resolve, reject),
    };
  };
  const client = Object.assign(() => query(''), {
    options: { parsers: {}, serializers: {} },
    unsafe: query,
    begin: <T>(fn: (tx: unknown) => Promise<T>) => Promise.resolve().then(() => fn(client)),
  });
  return drizzle(client as unknown as postgres.Sql, { schema }) as unknown as Db;
}

/**
 * The insert statement's answer for one order (order-sql.ts insertOrderSql, or a row of order-batch-sql.ts
 * insertOrdersSql): the fence, the locked balances, the `new` row. `order`: its columns by their SQL names.
 */
function insertedOrderRow(orders: Map<string, Record<string, unknown>>, order: Record<string, unknown>): Record<string, unknown> {
  const [base, quote] = String(order.symbol).split('/');
  const now = new Date().toISOString();
  const values: Record<string, unknown> = {
    id: randomUUID(),
    account_id: order.account_id,
    user_id: order.user_id,
    deployment_id: order.deployment_id,
    client_order_id: order.client_order_id,
    exchange: order.exchange,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    price: order.price,
    stop_price: order.stop_price,
    status: 'new',
    filled_quantity: '0',
    filled_cost: '0',
    fees: {},
    triggered: false,
    created_at: now,
    updated_at: now,
  };
  const row: Record<string, unknown> = {
    fence_held: true,
    locked_balances: [
      { asset: base, free: '1000000', used: '0' },
      { asset: quote, free: '1000000000', used: '0' },
    ].sort((a, b) => String(a.asset).localeCompare(String(b.asset))),
    kill_switch: null,
  };
  for (const name of ORDER_COLUMNS) row[name] = values[name] ?? null;
  orders.set(String(row.id), row);
  return row;
}
