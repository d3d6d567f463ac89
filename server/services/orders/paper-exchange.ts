/**
 * The paper exchange: an `Execution` (server/exchange/ports.ts) over Postgres, bound to one paper account
 * and one transaction, so balances are reserved, booked and released in the same transaction as the
 * order row changes. Matching and balance arithmetic are server/core/paper (the backtest's fill model).
 *
 * Its "order book" is the account's order rows: the order service writes the row (status `new`) first,
 * then calls `createOrder` with the row's clientOrderId, like any exchange. Paper orders fill completely
 * or not at all; the one trade of an order has the id `<exchange order id>-1`.
 * It lives in services (not server/exchange) because it needs the database.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { orders, paperBalances, type PaperReservation } from '@/db/schema';
import { add, formatDecimal, parseDecimal } from '@/server/core/money';
import type { OrderFill } from '@/server/core/orders';
import { cancelOrderEffect, fillOrderEffect, matchOrder, placeOrderEffect, type PaperBalances, type PaperOrder, type PriceEvent } from '@/server/core/paper';
import { ExchangeError } from '@/server/exchange/errors';
import type { Balances, ExchangeOrder, Execution, OrderRef, OrderRequest } from '@/server/exchange/ports';
import type { BalanceWrite } from './order-sql';
import type { PaperPriceSource } from './price-source';

export interface PaperAccount {
  id: string;
  feeRate: string;
  slippage: string;
}

/** Paper orders may also be stop-limit orders. */
export interface PaperOrderRequest extends Omit<OrderRequest, 'type'> {
  type: 'market' | 'limit' | 'stop_limit';
  stopPrice?: string;
}

/** An exchange answer with the trades it executed (the ccxt adapter leaves trades to reconciliation). */
export type ExchangeOrderWithTrades = ExchangeOrder & { trades: OrderFill[] };

type OrderRow = typeof orders.$inferSelect;

export function splitSymbol(symbol: string): { base: string; quote: string } {
  const [base, quote] = symbol.split('/');
  if (!base || !quote) throw new ExchangeError('rejected', `symbol ${symbol} must be BASE/QUOTE`, { exchangeId: 'paper', operation: 'createOrder' });
  return { base, quote };
}

export const paperTradeId = (exchangeOrderId: string) => `${exchangeOrderId}-1`;
export const paperExchangeOrderId = (orderId: string) => `paper-${orderId}`;

const ZERO = '0';

export class PaperExchange implements Execution {
  readonly exchangeId = 'paper';

  constructor(
    private readonly tx: DbOrTx,
    private readonly account: PaperAccount,
    private readonly prices: PaperPriceSource,
    private readonly clock: () => number = Date.now,
  ) {}

  private get params() {
    return { feeRate: Number(this.account.feeRate), slippage: Number(this.account.slippage) };
  }

  /** Locks (creating if missing) the base and quote balance rows of the account. */
  private async lockBalances(base: string, quote: string): Promise<PaperBalances> {
    const select = () =>
      this.tx
        .select()
        .from(paperBalances)
        .where(and(eq(paperBalances.accountId, this.account.id), inArray(paperBalances.asset, [base, quote])))
        .orderBy(paperBalances.asset)
        .for('update');
    let rows = await select();
    if (rows.length < 2) {
      // First order in this asset: create the missing rows (once, in asset order, as every path locks them), then lock both.
      await this.tx
        .insert(paperBalances)
        .values([base, quote].sort().map((asset) => ({ accountId: this.account.id, asset, free: ZERO, used: ZERO })))
        .onConflictDoNothing();
      rows = await select();
    }
    const of = (asset: string) => rows.find((r) => r.asset === asset) ?? { free: ZERO, used: ZERO };
    return { baseFree: of(base).free, baseUsed: of(base).used, quoteFree: of(quote).free, quoteUsed: of(quote).used };
  }

  /** Writes both balance rows in one statement (they are locked by lockBalances). */
  private async writeBalances(base: string, quote: string, balances: PaperBalances): Promise<void> {
    await this.tx.execute(sql`
      update paper_balances as b
         set free = v.free::numeric, used = v.used::numeric, updated_at = now()
        from (values (${base}, ${formatDecimal(balances.baseFree)}, ${formatDecimal(balances.baseUsed)}),
                     (${quote}, ${formatDecimal(balances.quoteFree)}, ${formatDecimal(balances.quoteUsed)})) as v(asset, free, used)
       where b.account_id = ${this.account.id} and b.asset = v.asset`);
  }

  private async findRow(ref: OrderRef): Promise<OrderRow> {
    const where =
      ref.clientOrderId !== undefined
        ? and(eq(orders.accountId, this.account.id), eq(orders.clientOrderId, ref.clientOrderId))
        : and(eq(orders.accountId, this.account.id), eq(orders.exchangeOrderId, ref.id));
    const [row] = await this.tx.select().from(orders).where(where).limit(1).for('update');
    if (!row) throw new ExchangeError('not_found', 'paper: order not found', { exchangeId: 'paper', operation: 'fetchOrder' });
    return row;
  }

  private answer(row: OrderRow, status: ExchangeOrder['status'], overrides: Partial<ExchangeOrderWithTrades> = {}): ExchangeOrderWithTrades {
    return {
      id: row.exchangeOrderId ?? paperExchangeOrderId(row.id),
      clientOrderId: row.clientOrderId,
      symbol: row.symbol,
      side: row.side,
      type: row.type,
      status,
      amount: row.quantity,
      filled: row.filledQuantity,
      remaining: formatDecimal(parseDecimal(row.quantity, 'quantity').minus(row.filledQuantity)),
      price: row.price,
      average: row.averagePrice,
      cost: row.filledCost,
      fee: null,
      timeMs: row.createdAt.getTime(),
      updatedMs: this.clock(),
      trades: [],
      ...overrides,
    };
  }

  /**
   * Reserves the order's funds and matches it against the latest price. Refuses (`rejected`) without a
   * price or with insufficient balance; a market order fills at once, a limit order fills at once only
   * if the latest price crosses it, else it rests.
   */
  async createOrder(
    request: PaperOrderRequest | OrderRequest,
    knownRow?: OrderRow,
    options: {
      deferRowUpdate?: (fields: Pick<OrderRow, 'reservation' | 'triggered' | 'priceSource' | 'matchedUntilMs'>) => void;
      /**
       * The base and quote balances as the caller already read them FOR UPDATE in this transaction (the order
       * service locks them in the statement that inserts the order row); with deferBalanceWrite, the caller
       * also writes them, in its next statement.
       */
      lockedBalances?: PaperBalances;
      deferBalanceWrite?: (write: BalanceWrite) => void;
    } = {},
  ): Promise<ExchangeOrderWithTrades> {
    const details = { exchangeId: 'paper', operation: 'createOrder' as const };
    // The caller that just inserted the row (in this transaction, so it is already locked) may pass it in.
    const row =
      knownRow && knownRow.clientOrderId === request.clientOrderId && knownRow.accountId === this.account.id
        ? knownRow
        : await this.findRow({ clientOrderId: request.clientOrderId });
    if (row.status !== 'new' || row.reservation) throw new ExchangeError('rejected', 'paper: duplicate clientOrderId', details);
    const { base, quote } = splitSymbol(request.symbol);
    const latest = await this.prices.latest(request.symbol);
    if (!latest) throw new ExchangeError('rejected', `paper: no price for ${request.symbol}`, details);
    const order: PaperOrder = {
      side: request.side,
      type: request.type,
      quantity: request.amount,
      limitPrice: request.price ?? null,
      stopPrice: 'stopPrice' in request ? (request.stopPrice ?? null) : null,
    };
    const balances = options.lockedBalances ?? (await this.lockBalances(base, quote));
    const placed = placeOrderEffect(balances, order, { ...this.params, referencePrice: String(latest.price) });
    if (!placed.ok) {
      const asset = request.side === 'buy' ? quote : base;
      throw new ExchangeError('rejected', `insufficient balance: the order needs ${placed.required} ${asset}, ${placed.available} ${asset} is free`, details);
    }
    const reservation: PaperReservation = {
      currency: placed.reservation.currency,
      asset: placed.reservation.currency === 'base' ? base : quote,
      amount: placed.reservation.amount,
    };
    const exchangeOrderId = paperExchangeOrderId(row.id);
    const match = matchOrder(order, { kind: 'trade', price: latest.price }, this.params);
    let finalBalances = placed.balances;
    let trades: OrderFill[] = [];
    if (match.filled) {
      const booked = fillOrderEffect(placed.balances, request.side, placed.reservation, match.fill);
      if (!booked.ok)
        throw new ExchangeError(
          'rejected',
          `insufficient balance: the fill costs ${booked.required} ${quote}, ${booked.available} ${quote} is available`,
          details,
        );
      finalBalances = booked.balances;
      trades = [
        {
          tradeId: paperTradeId(exchangeOrderId),
          quantity: match.fill.quantity,
          price: match.fill.price,
          fee: { cost: match.fill.fee, currency: quote },
          ...(latest.fillTimeMs !== undefined ? { timeMs: latest.fillTimeMs } : {}),
        },
      ];
    }
    if (options.deferBalanceWrite) {
      const f = finalBalances;
      options.deferBalanceWrite({
        rows: [
          { asset: base, free: formatDecimal(f.baseFree), used: formatDecimal(f.baseUsed) },
          { asset: quote, free: formatDecimal(f.quoteFree), used: formatDecimal(f.quoteUsed) },
        ],
      });
    } else await this.writeBalances(base, quote, finalBalances);
    const paperFields = { reservation, triggered: match.triggered, priceSource: latest.source, matchedUntilMs: latest.timeMs };
    // The order service writes these with the order's status in one statement when it asks to.
    if (options.deferRowUpdate) options.deferRowUpdate(paperFields);
    else await this.tx.update(orders).set(paperFields).where(eq(orders.id, row.id));
    return this.answer(row, match.filled ? 'closed' : 'open', {
      id: exchangeOrderId,
      filled: match.filled ? match.fill.quantity : '0',
      average: match.filled ? match.fill.price : null,
      fee: match.filled ? { currency: quote, cost: match.fill.fee } : null,
      trades,
    });
  }

  /** Releases the reservation of a resting order. */
  async cancelOrder(ref: OrderRef, _symbol: string): Promise<ExchangeOrderWithTrades> {
    const row = await this.findRow(ref);
    if (row.status !== 'open' || !row.reservation) {
      throw new ExchangeError('rejected', `paper: the order is ${row.status}, it cannot be canceled`, { exchangeId: 'paper', operation: 'cancelOrder' });
    }
    const { base, quote } = splitSymbol(row.symbol);
    const released = cancelOrderEffect(await this.lockBalances(base, quote), row.reservation);
    if (!released.ok) throw new Error('unreachable: a cancel always releases');
    await this.writeBalances(base, quote, released.balances);
    return this.answer(row, 'canceled');
  }

  /**
   * Matches the account's resting orders against the candles that closed since each was last matched.
   * Returns, per filled order, its trade (the caller applies it to the order row in the same transaction).
   */
  async matchRestingOrders(): Promise<Array<{ orderId: string; trade: OrderFill }>> {
    const resting = await this.tx
      .select()
      .from(orders)
      .where(and(eq(orders.accountId, this.account.id), eq(orders.exchange, 'paper'), eq(orders.status, 'open')))
      // Locked in one total order (docs/orders.md, "Locks"): two passes over one account never lock crosswise.
      .orderBy(orders.createdAt, orders.id)
      .for('update');
    const now = this.clock();
    const results: Array<{ orderId: string; trade: OrderFill }> = [];
    for (const row of resting) {
      if (!row.reservation) continue;
      const since = row.matchedUntilMs ?? row.createdAt.getTime();
      const candles = await this.prices.candlesSince(row.symbol, since, now);
      if (candles.length === 0) continue;
      const order: PaperOrder = {
        side: row.side,
        type: row.type,
        quantity: row.quantity,
        limitPrice: row.price,
        stopPrice: row.stopPrice,
        triggered: row.triggered,
      };
      let triggered = row.triggered;
      let matchedUntil = since;
      for (const [time, open, high, low, close] of candles) {
        const event: PriceEvent = { kind: 'candle', open, high, low, close };
        const match = matchOrder({ ...order, triggered }, event, this.params);
        triggered = match.triggered;
        matchedUntil = time + 1;
        if (!match.filled) continue;
        const { base, quote } = splitSymbol(row.symbol);
        const booked = fillOrderEffect(await this.lockBalances(base, quote), row.side, row.reservation, match.fill);
        if (!booked.ok) break; // a buy that gapped past its reservation and free quote: stays open
        await this.writeBalances(base, quote, booked.balances);
        const exchangeOrderId = row.exchangeOrderId ?? paperExchangeOrderId(row.id);
        results.push({
          orderId: row.id,
          trade: {
            tradeId: paperTradeId(exchangeOrderId),
            quantity: match.fill.quantity,
            price: match.fill.price,
            fee: { cost: match.fill.fee, currency: quote },
          },
        });
        break;
      }
      await this.tx
        .update(orders)
        .set({ triggered, matchedUntilMs: Math.max(matchedUntil, candles.at(-1)![0] + 1) })
        .where(eq(orders.id, row.id));
    }
    return results;
  }

  async fetchOrder(ref: OrderRef, _symbol: string): Promise<ExchangeOrderWithTrades> {
    const row = await this.findRow(ref);
    const status =
      row.status === 'filled' ? 'closed' : row.status === 'canceled' || row.status === 'rejected' || row.status === 'expired' ? row.status : 'open';
    return this.answer(row, status);
  }

  async fetchOpenOrders(symbol?: string): Promise<ExchangeOrderWithTrades[]> {
    const rows = await this.tx
      .select()
      .from(orders)
      .where(and(eq(orders.accountId, this.account.id), eq(orders.status, 'open'), symbol ? eq(orders.symbol, symbol) : sql`true`));
    return rows.map((row) => this.answer(row, 'open'));
  }

  async fetchBalance(): Promise<Balances> {
    const rows = await this.tx.select().from(paperBalances).where(eq(paperBalances.accountId, this.account.id));
    const result: Balances = {};
    for (const row of rows) {
      const total = add(row.free, row.used);
      if (!total.isZero()) result[row.asset] = { free: formatDecimal(row.free), used: formatDecimal(row.used), total: formatDecimal(total) };
    }
    return result;
  }
}
