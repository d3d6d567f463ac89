/**
 * One deployment, one tick, on the worker: read the feed up to "now" (the replay/simulated clock, or the
 * wall clock for live data), run the runner over each newly closed candle (server/core/trading), place the
 * orders it asks for, and persist its state.
 *
 * Paper deployments do a whole tick in ONE transaction: the fenced lock on the deployment row, the order
 * rows, the paper balances, the fills and the runner's state commit together or not at all, so a worker
 * killed at any point leaves nothing half-done; the next worker repeats the same bars with the same
 * clientOrderIds. Live deployments cannot (the order row must be committed before the exchange is called):
 * each order goes through the order service's write-then-send path under the fencing check, an answer that
 * does not say the order filled stops the tick until the order settles (the reconciler's job), and the
 * runner's state is written after each bar under the same fence.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { deployments, fills, orders, paperBalances } from '@/db/schema';
import { allocateSeries, type CandleSeries, type OhlcvRow } from '@/server/core/candles';
import { createSimulatedMarket, type SimulatedMarket } from '@/server/core/market/simulated';
import { deriveClientOrderId, type OrderFill } from '@/server/core/orders';
import { evaluateCircuitBreakers, evaluateRisk, type RiskLimits } from '@/server/core/risk';
import { createStrategy } from '@/server/core/strategies/registry';
import type { StrategyInstance } from '@/server/core/strategies/types';
import { timeframeToMs } from '@/server/core/timeframe';
import { DeploymentRunner, processBarOpen, processClosedBar, type RunnerBar, type RunnerFill, type RunnerOrder, type RunnerState } from '@/server/core/trading';
import { exchangeFor, findOwnedAccount, PAPER_EXCHANGE, type AccountRow } from '@/server/services/accounts';
import { reconcileAccount } from '@/server/services/reconcile';
import { Decimal } from '@/server/core/money';
import { raiseAlert } from '@/server/services/alerts';
import { notifyEvent, notifyEvents, type AppEvent } from '@/server/services/events';
import { queryRows } from '@/db/raw';
import { readCandleSeries } from '@/server/services/market-data/candles';
import { marketDataExchange } from '@/server/services/market-data/exchange';
import { LeaseLostError, placeOrder, placePaperOrderInTx, type OrderRow } from '@/server/services/orders';
import { defaultPaperPriceSource, type PaperPriceSource } from '@/server/services/orders/price-source';
import { applyStrategyEvent } from '@/server/services/strategies/strategies';
import { crashPoint } from '@/server/services/faults';
import { engagedLatchesSql, haltingLatch, killSwitchError, latchFromRow } from '@/server/services/kill-switch/latch';
import { feedTimeAt, type DeploymentDeps, type DeploymentRow } from './model';

/** Bars processed per tick at most (a replay catching up at full speed does it over several ticks). */
const MAX_BARS_PER_TICK = 2000;

/** The order is not settled yet (live): the bar is processed again once it is. */
class WaitForOrder extends Error {
  constructor(readonly orderId: string, readonly status: string) {
    super(`waiting for order ${orderId} (${status}) to settle`);
  }
}

/** Stop acting for this deployment in this tick (paused by a circuit breaker, etc.). */
class StopTick extends Error {}

/** A growable columnar series of the deployment's bars (from its series start), shared with the strategy. */
class BarBuffer {
  private columns: CandleSeries = allocateSeries(256);
  length = 0;

  get series(): CandleSeries {
    const c = this.columns;
    return { length: this.length, time: c.time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
  }

  get lastTime(): number | null {
    return this.length === 0 ? null : this.columns.time[this.length - 1]!;
  }

  push(row: ArrayLike<number>): void {
    if (this.length === this.columns.time.length) {
      const bigger = allocateSeries(this.columns.time.length * 2);
      for (const key of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) bigger[key].set(this.columns[key]);
      this.columns = bigger;
    }
    const i = this.length++;
    this.columns.time[i] = row[0]!;
    this.columns.open[i] = row[1]!;
    this.columns.high[i] = row[2]!;
    this.columns.low[i] = row[3]!;
    this.columns.close[i] = row[4]!;
    this.columns.volume[i] = row[5]!;
  }

  pushSeries(series: CandleSeries): void {
    const last = this.lastTime;
    for (let i = 0; i < series.length; i++) {
      if (last !== null && series.time[i]! <= last) continue;
      this.push([series.time[i]!, series.open[i]!, series.high[i]!, series.low[i]!, series.close[i]!, series.volume[i]!]);
    }
  }

  indexAfter(time: number | null): number {
    if (time === null) return 0;
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.columns.time[mid]! <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  bar(i: number): RunnerBar {
    const c = this.columns;
    return { time: c.time[i]!, open: c.open[i]!, high: c.high[i]!, low: c.low[i]!, close: c.close[i]! };
  }
}

/** A claimed deployment in a worker's memory: its strategy instance and bars. Rebuilt from Postgres on any doubt. */
export interface DeploymentRuntime {
  id: string;
  userId: string;
  /** The lease epoch this worker holds. */
  epoch: number;
  row: DeploymentRow;
  account: AccountRow;
  strategy: StrategyInstance;
  bars: BarBuffer;
  step: number;
  simulated: SimulatedMarket | null;
  /** When the next tick has something to do (ms wall clock); 0 = now. */
  nextDueMs: number;
  /** Cache of the replay's last stored candle: [when read, open time]. */
  lastStored: { readAtMs: number; lastMs: number | null } | null;
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const SIM_START_PRICES: Record<string, number> = { BTC: 60_000, ETH: 3_000, SOL: 150, BNB: 500 };

/** Bars of history the strategy warms up on before a live or simulated deployment's first decision. */
function warmupBars(strategy: StrategyInstance): number {
  return Math.max(strategy.warmup + 2, 50);
}

export async function loadRuntime(db: DbOrTx, row: DeploymentRow, epoch: number): Promise<DeploymentRuntime> {
  const account = await findOwnedAccount(db, row.userId, row.accountId);
  const strategy = createStrategy(row.strategy.type, row.strategy.params);
  const step = timeframeToMs(row.strategy.timeframe);
  let simulated: SimulatedMarket | null = null;
  if (row.feed.type === 'simulated') {
    const base = row.strategy.symbol.split('/')[0] ?? '';
    const origin = row.feed.startMs! - 2 * warmupBars(strategy) * step;
    simulated = createSimulatedMarket({ seed: seedOf(`${row.strategy.symbol}|${row.id}`), timeframe: row.strategy.timeframe, originMs: origin, startPrice: SIM_START_PRICES[base] ?? 100 });
  }
  return { id: row.id, userId: row.userId, epoch, row, account, strategy, bars: new BarBuffer(), step, simulated, nextDueMs: 0, lastStored: null };
}

/** First bar of the series the strategy sees (replay: the feed start, so indicators warm up inside the window, as in the backtest). */
function seriesStart(rt: DeploymentRuntime): number {
  const feed = rt.row.feed;
  if (feed.type === 'replay') return feed.startMs!;
  return (rt.row.lastBarTime ?? seriesStartDecisionFloor(rt)) - warmupBars(rt.strategy) * rt.step;
}

/** Brings the bar buffer up to the feed time: every stored/generated candle with open time < feedTime. */
async function loadBars(db: DbOrTx, rt: DeploymentRuntime, feedTime: number, deps: DeploymentDeps): Promise<void> {
  const key = { exchange: rt.row.strategy.exchange, symbol: rt.row.strategy.symbol, timeframe: rt.row.strategy.timeframe };
  const from = rt.bars.lastTime === null ? seriesStart(rt) : rt.bars.lastTime + 1;
  if (from > feedTime) return;
  if (rt.row.feed.type === 'replay') {
    // Bounded reads: a fast replay catching up does it over several ticks.
    const to = Math.min(feedTime + 1, from + (MAX_BARS_PER_TICK + 2) * rt.step);
    rt.bars.pushSeries(await (deps.readCandles ?? readCandleSeries)(db, key, from, to));
  } else if (rt.row.feed.type === 'simulated') {
    const to = Math.min(Math.floor(feedTime / rt.step) * rt.step + rt.step, from + (MAX_BARS_PER_TICK + 2) * rt.step);
    for (const row of rt.simulated!.candles(Math.ceil(from / rt.step) * rt.step, to)) rt.bars.push(row);
  } else {
    const exchange = deps.marketData ? deps.marketData(key.exchange) : marketDataExchange(key.exchange);
    const rows: OhlcvRow[] = await exchange.fetchOHLCV(key.symbol, key.timeframe, from, 1000);
    for (const row of rows) if (row[0] + rt.step <= feedTime) rt.bars.push(row);
  }
}

async function lastStoredOpen(db: DbOrTx, rt: DeploymentRuntime, now: number): Promise<number | null> {
  if (rt.lastStored && now - rt.lastStored.readAtMs < 5_000) return rt.lastStored.lastMs;
  const [row] = await db.execute<{ last: string | null }>(sql`select max(time) as last from candles where exchange = ${rt.row.strategy.exchange} and symbol = ${rt.row.strategy.symbol} and timeframe = ${rt.row.strategy.timeframe}`);
  const lastMs = row?.last === null || row?.last === undefined ? null : Number(row.last);
  rt.lastStored = { readAtMs: now, lastMs };
  return lastMs;
}

function fixedPrice(price: number, timeMs: number, source: string): PaperPriceSource {
  return {
    async latest() {
      return { price, timeMs, source, fillTimeMs: timeMs };
    },
    async candlesSince() {
      return [];
    },
  };
}

const quoteAsset = (symbol: string) => symbol.split('/')[1] ?? 'USDT';

type FillFacts = { quantity: string; price: string; fee: string | null; feeCurrency: string | null };

/** What an order's fills mean to the runner; `known` are the trades the caller already has (a fresh paper order). */
async function fillOf(db: DbOrTx, order: OrderRow, side: 'buy' | 'sell', time: number, known?: OrderFill[]): Promise<RunnerFill | null> {
  const rows: FillFacts[] =
    known && known.length > 0
      ? known.map((f) => ({ quantity: f.quantity, price: f.price, fee: f.fee?.cost ?? '0', feeCurrency: f.fee?.currency ?? null }))
      : await db.select({ quantity: fills.quantity, price: fills.price, fee: fills.fee, feeCurrency: fills.feeCurrency }).from(fills).where(eq(fills.orderId, order.id));
  if (rows.length === 0) return null;
  let quantity = 0;
  let cost = 0;
  let fee = 0;
  let baseFee = 0;
  const quote = quoteAsset(order.symbol);
  const base = order.symbol.split('/')[0];
  for (const r of rows) {
    const q = Number(r.quantity);
    const p = Number(r.price);
    quantity += q;
    cost += q * p;
    const feeCost = Number(r.fee ?? '0');
    if (r.feeCurrency === null || r.feeCurrency === quote) fee += feeCost;
    else if (r.feeCurrency === base) {
      // Charged in the base asset (Binance takes a buyer's commission from what it bought): the position
      // is what arrived, and the fee is valued at the fill price.
      baseFee += feeCost;
      fee += feeCost * p;
    }
  }
  const price = rows.length === 1 ? Number(rows[0]!.price) : cost / quantity;
  return { side, quantity: side === 'buy' ? quantity - baseFee : quantity, price, fee, time };
}

export interface TickResult {
  /** 'lost': the lease moved on (drop the runtime); 'ended': the deployment completed/paused/failed. */
  status: 'ok' | 'lost' | 'ended' | 'waiting';
  barsProcessed: number;
  orders: number;
  /** Wall time at which the next candle closes (or opens, for a pending order). */
  nextDueMs: number;
}

interface TickContext {
  db: Db;
  tx: DbOrTx | null;
  rt: DeploymentRuntime;
  now: number;
  deps: DeploymentDeps;
  ordersPlaced: number;
  runner: DeploymentRunner;
  paused: { reason: string } | null;
  /** Events of a paper tick's orders, sent with the tick's last statements (delivered at its commit anyway). */
  notifications: AppEvent[];
}

function riskLimitsOf(row: DeploymentRow): RiskLimits {
  const limits: RiskLimits = {};
  if (row.maxPositionQuote !== null) limits.maxPositionQuote = row.maxPositionQuote;
  if (row.riskLimits.maxOrderNotional) limits.maxOrderNotional = row.riskLimits.maxOrderNotional;
  if (row.riskLimits.dailyLossLimitQuote) limits.dailyLossLimitQuote = row.riskLimits.dailyLossLimitQuote;
  if (row.riskLimits.maxDrawdownFraction) limits.maxDrawdownFraction = row.riskLimits.maxDrawdownFraction;
  return limits;
}

const dec = (value: number) => String(Number(value.toPrecision(15)));

/**
 * The base quantity a paper sale of the runner's position may ask for: the position is a float sum of fills
 * whose exact decimal sum the account holds, and the two can differ in the last digit either way. Never more
 * than the account's free base (the deployment's own holding is all of it, or less when others share it).
 */
async function paperSellQuantity(tx: DbOrTx, accountId: string, symbol: string, quantity: number): Promise<string> {
  const base = symbol.split('/')[0]!;
  const [row] = await tx.select({ free: paperBalances.free }).from(paperBalances).where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, base)));
  const wanted = new Decimal(dec(quantity));
  const free = new Decimal(row?.free ?? '0');
  // Less than the position: rounding in its last digit, or the user sold some by hand. Sell what is there.
  return (wanted.gt(free) ? free : wanted).toFixed();
}

/** Sizes, risk-checks and places one runner order; returns its fill, or null when refused. */
async function execute(ctx: TickContext, order: RunnerOrder): Promise<RunnerFill | null> {
  const { rt, runner } = ctx;
  const row = rt.row;
  const state = runner.state;
  const feeRate = Number(rt.account.feeRate ?? '0.001');
  let quantity = order.quantity;
  const expectedPrice = order.referencePrice;
  if (order.side === 'buy' && row.maxPositionQuote !== null) {
    // Entries are sized down to fit the maximum position instead of being refused outright.
    const room = Number(row.maxPositionQuote) / (expectedPrice * (1 + Number(rt.account.slippage ?? 0))) - state.quantity;
    quantity = Math.min(quantity, room * (1 - 1e-9));
  }
  const alertBase = { userId: rt.userId, deploymentId: rt.id, accountId: rt.account.id };
  if (!(quantity > 0)) {
    await raiseAlert(ctx.tx ?? ctx.db, { ...alertBase, kind: 'risk_rejected', severity: 'warning', message: `${order.intent} on ${new Date(order.decidedOn).toISOString()} skipped: the position is already at its maximum (${row.maxPositionQuote})`, dedupeKey: `risk:${rt.id}:${order.decidedOn}:${order.intent}` });
    return null;
  }
  if (order.side === 'buy') {
    const verdict = evaluateRisk(
      { side: 'buy', quantity: dec(quantity), price: dec(expectedPrice) },
      {
        positionQuantity: dec(state.quantity),
        positionEntryPrice: state.quantity > 0 ? dec(state.entryPrice) : null,
        markPrice: dec(expectedPrice),
        freeQuote: dec(state.cash),
        freeBase: dec(state.quantity),
        feeRate: String(feeRate),
        equity: dec(state.equity),
        equityPeak: dec(state.equityPeak),
        realizedPnlToday: dec(state.equity - state.dayStartEquity),
        unrealizedPnlToday: '0',
      },
      { ...riskLimitsOf(row), maxPositionQuote: undefined },
    );
    if (!verdict.allowed) {
      if (verdict.action === 'pause') {
        ctx.paused = { reason: verdict.reason };
        await raiseAlert(ctx.tx ?? ctx.db, { ...alertBase, kind: 'circuit_breaker', severity: 'critical', message: verdict.reason, dedupeKey: `breaker:${rt.id}:${order.decidedOn}` });
        throw new StopTick(verdict.reason);
      }
      await raiseAlert(ctx.tx ?? ctx.db, { ...alertBase, kind: 'risk_rejected', severity: 'warning', message: `${order.intent} refused by the ${verdict.rule.replace(/_/g, ' ')} rule: ${verdict.reason}`, details: { rule: verdict.rule }, dedupeKey: `risk:${rt.id}:${order.decidedOn}:${order.intent}` });
      return null;
    }
  }
  const clientOrderId = deriveClientOrderId({ deploymentId: rt.id, barTimeMs: order.decidedOn, intent: order.intent });
  // The fence: live orders check the epoch when their row is written (placeOrder); a paper tick already
  // holds the deployment row FOR UPDATE under its epoch for the whole transaction, which is the same check.
  const input: { accountId: string; symbol: string; side: 'buy' | 'sell'; type: 'market'; quantity: string; clientOrderId: string; deploymentId: string; fenceEpoch?: number } = { accountId: rt.account.id, symbol: row.strategy.symbol, side: order.side, type: 'market' as const, quantity: dec(quantity), clientOrderId, deploymentId: rt.id };
  let known: OrderFill[] | undefined;
  if (order.side === 'sell' && rt.account.exchange === PAPER_EXCHANGE) input.quantity = await paperSellQuantity(ctx.tx!, rt.account.id, row.strategy.symbol, quantity);
  let placed: OrderRow;
  if (rt.account.exchange === PAPER_EXCHANGE) {
    const source = row.feed.type === 'live' ? null : `${row.feed.type} ${row.strategy.exchange} ${row.strategy.timeframe}`;
    const prices = source === null ? fixedPrice(expectedPrice, order.fillBarTime, `live ${row.strategy.exchange} ${row.strategy.timeframe}`) : fixedPrice(expectedPrice, order.fillBarTime, source);
    ({ order: placed, trades: known } = await placePaperOrderInTx(ctx.tx!, rt.userId, rt.account, input, prices));
  } else {
    // A real exchange: the quantity is rounded down to the market's step first, so the stored order is
    // exactly what the exchange receives (and its fills can add up to it).
    const { exchange } = exchangeFor(rt.account, ctx.deps);
    const step = (await exchange.market(row.strategy.symbol)).amountStep;
    if (step !== null) {
      const rounded = new Decimal(input.quantity).div(step).floor().times(step);
      if (rounded.lte(0)) return null;
      input.quantity = rounded.toFixed();
    }
    const { order: view } = await placeOrder(ctx.db, rt.userId, { ...input, fenceEpoch: rt.epoch }, ctx.deps);
    let [fresh] = await ctx.db.select().from(orders).where(eq(orders.id, view.id));
    if (fresh && fresh.status !== 'filled' && fresh.status !== 'rejected' && fresh.status !== 'canceled' && fresh.status !== 'expired') {
      // A market order acknowledged without its trades: settle it now rather than at the next reconcile pass.
      await reconcileAccount(ctx.db, rt.account.id, ctx.deps);
      [fresh] = await ctx.db.select().from(orders).where(eq(orders.id, view.id));
    }
    placed = fresh!;
  }
  ctx.ordersPlaced++;
  const event: AppEvent = { kind: 'order', userId: rt.userId, orderId: placed.id, status: placed.status, deploymentId: rt.id };
  if (ctx.tx) ctx.notifications.push(event);
  else await notifyEvent(ctx.db, event);
  switch (placed.status) {
    case 'filled':
      return fillOf(ctx.tx ?? ctx.db, placed, order.side, order.fillBarTime, known);
    case 'rejected':
    case 'canceled':
    case 'expired': {
      const partial = await fillOf(ctx.tx ?? ctx.db, placed, order.side, order.fillBarTime);
      if (partial) return partial;
      await raiseAlert(ctx.tx ?? ctx.db, { ...alertBase, orderId: placed.id, kind: 'order_rejected', severity: 'warning', message: `${order.side} ${dec(quantity)} ${row.strategy.symbol} (${order.intent}) was ${placed.status}: ${placed.statusReason ?? 'no reason given'}`, dedupeKey: `order:${placed.id}` });
      return null;
    }
    default:
      throw new WaitForOrder(placed.id, placed.status);
  }
}

/**
 * Writes the runner's state and clears the state reason (fenced: only while this worker's epoch is the
 * deployment's). A prepared statement issued at the call, so a paper tick sends it together with its notifications.
 */
async function persist(db: DbOrTx, rt: DeploymentRuntime, state: RunnerState, fields: Pick<DeploymentRow, 'lastBarTime' | 'lastDecision'>, now: number): Promise<boolean> {
  const rows = await queryRows(
    db,
    `update deployments set runner = $1::jsonb, updated_at = $2::timestamptz, last_bar_time = $3::bigint, last_decision = $4::jsonb, state_reason = null
      where id = $5::uuid and lease_epoch = $6::bigint and state = 'running' returning id`,
    [JSON.stringify(state), new Date(now).toISOString(), fields.lastBarTime === null ? null : String(fields.lastBarTime), fields.lastDecision === null ? null : JSON.stringify(fields.lastDecision), rt.id, String(rt.epoch)],
  );
  return rows.length > 0;
}

/**
 * Runs one tick of a deployment. Never throws for a lost lease (returns 'lost'); other errors propagate
 * (the caller logs them and rebuilds the runtime from Postgres).
 */
export async function tickDeployment(db: Db, rt: DeploymentRuntime, deps: DeploymentDeps = {}): Promise<TickResult> {
  const now = (deps.now ?? Date.now)();
  const row = rt.row;
  const feedTime = feedTimeAt(row, now)!;
  const speed = row.feed.type === 'live' ? 1 : (row.feed.speed ?? 1);
  const wallAt = (feedMs: number) => now + Math.max(0, feedMs - feedTime) / speed;

  await loadBars(db, rt, feedTime, deps);
  const lastBarTime = row.lastBarTime ?? (row.feed.type === 'replay' ? null : seriesStartDecisionFloor(rt));
  const first = rt.bars.indexAfter(lastBarTime);
  const bars = rt.bars;
  let lastClosed = first - 1;
  for (let i = first; i < bars.length && i - first < MAX_BARS_PER_TICK; i++) {
    if (bars.bar(i).time + rt.step <= feedTime) lastClosed = i;
    else break;
  }
  const inProgress = lastClosed + 1 < bars.length && bars.bar(lastClosed + 1).time <= feedTime ? lastClosed + 1 : -1;
  const state = structuredClone(row.runner as unknown as RunnerState);
  const runner = new DeploymentRunner(state, rt.strategy, { capital: Number(row.capitalQuote), feeRate: Number(rt.account.feeRate ?? '0.001'), slippage: Number(rt.account.slippage ?? '0.0005') });
  const needsOpen = inProgress >= 0 && state.pending !== null;
  const nextDue = () => {
    const next = lastClosed + 1 < bars.length ? bars.bar(lastClosed + 1).time : (lastClosed >= 0 ? bars.bar(lastClosed).time : feedTime) + rt.step;
    return Math.min(wallAt(next + rt.step), state.pending !== null && lastClosed + 1 < bars.length ? wallAt(next) : Infinity);
  };

  // Replay: completed once the feed has passed the last stored candle and every bar is processed.
  if (lastClosed < first && !needsOpen) {
    if (row.feed.type === 'replay') {
      const lastMs = await lastStoredOpen(db, rt, now);
      if (lastMs !== null && feedTime >= lastMs + rt.step && (row.lastBarTime ?? -Infinity) >= lastMs) {
        await completeReplay(db, rt, now);
        return { status: 'ended', barsProcessed: 0, orders: 0, nextDueMs: Infinity };
      }
    }
    return { status: 'ok', barsProcessed: 0, orders: 0, nextDueMs: nextDue() };
  }

  const isPaper = rt.account.exchange === PAPER_EXCHANGE;
  const ctx: TickContext = { db, tx: null, rt, now, deps, ordersPlaced: 0, runner, paused: null, notifications: [] };
  let processed = 0;
  let lastDecision: DeploymentRow['lastDecision'] = row.lastDecision;
  let newLastBar = row.lastBarTime;

  const body = async (tx: DbOrTx | null): Promise<TickResult> => {
    ctx.tx = tx;
    if (tx) {
      // The fence for the whole transaction: the row stays locked under this worker's epoch until the commit.
      // With it, the kill switch latches (read first, as every order transaction must: kill-switch/latch.ts).
      const [held] = await queryRows<{ id: string; kill_switch: unknown[] | null }>(
        tx,
        `with halt as (${engagedLatchesSql('$3::uuid')})
         select d.id, (select json_agg(latch) from halt) as kill_switch from deployments d where d.id = $1::uuid and d.lease_epoch = $2::bigint and d.state = 'running' for update of d`,
        [rt.id, String(rt.epoch), rt.userId],
      );
      if (!held) throw new LeaseLostError(rt.id);
      const latch = haltingLatch((held.kill_switch ?? []).map(latchFromRow));
      if (latch) {
        // The engage pauses every deployment it halts, and nothing resumes one while it holds: only a defence.
        await pauseForRisk(tx, rt, killSwitchError(latch).message, now);
        ctx.paused = { reason: killSwitchError(latch).message };
        return { status: 'ended', barsProcessed: 0, orders: 0, nextDueMs: 0 };
      }
    }
    const exec = (order: RunnerOrder) => execute(ctx, order);
    try {
      for (let i = first; i <= lastClosed; i++) {
        const outcome = await processClosedBar(runner, bars.series, i, exec);
        processed++;
        newLastBar = bars.bar(i).time;
        lastDecision = { barTime: newLastBar, decision: outcome.decision ?? 'hold', at: new Date(now).toISOString() };
        const breaker = evaluateCircuitBreakers({ equity: dec(state.equity), equityPeak: dec(state.equityPeak) }, riskLimitsOf(row));
        if (!breaker.allowed) {
          ctx.paused = { reason: breaker.reason };
          await raiseAlert(tx ?? db, { userId: rt.userId, deploymentId: rt.id, accountId: rt.account.id, kind: 'circuit_breaker', severity: 'critical', message: breaker.reason, dedupeKey: `breaker:${rt.id}:${newLastBar}` });
          break;
        }
        if (!tx) {
          if (!(await persist(db, rt, state, { lastBarTime: newLastBar, lastDecision }, now))) throw new LeaseLostError(rt.id);
        }
      }
      if (!ctx.paused && inProgress >= 0 && state.pending !== null && row.feed.type !== 'live') await processBarOpen(runner, bars.bar(inProgress), exec);
      if (row.feed.type === 'live' && !ctx.paused && state.pending !== null && lastClosed >= 0) {
        // Live data: the next candle opened when this one closed; the decision fills now, near its close.
        const last = bars.bar(lastClosed);
        await processBarOpen(runner, { time: last.time + rt.step, open: last.close, high: last.close, low: last.close, close: last.close }, exec);
      }
    } catch (error) {
      if (!(error instanceof StopTick)) throw error;
    }
    const fields = { lastBarTime: newLastBar, lastDecision };
    const events: AppEvent[] = [...ctx.notifications, { kind: 'deployment', userId: rt.userId, deploymentId: rt.id, state: ctx.paused ? 'paused' : 'running', lastBarTime: newLastBar }];
    if (tx) {
      // Sent together on the transaction's connection (both prepared, so neither waits for a describe round
      // trip); the notifications are delivered at the commit.
      const [, persisted] = await Promise.all([notifyEvents(tx, events), persist(tx, rt, state, fields, now)]);
      if (!persisted) throw new LeaseLostError(rt.id);
      if (ctx.paused) await pauseForRisk(tx, rt, ctx.paused.reason, now);
    } else {
      if (!(await persist(db, rt, state, fields, now))) throw new LeaseLostError(rt.id);
      if (ctx.paused) await pauseForRisk(db, rt, ctx.paused.reason, now);
      await notifyEvents(db, events);
    }
    return { status: ctx.paused ? 'ended' : 'ok', barsProcessed: processed, orders: ctx.ordersPlaced, nextDueMs: 0 };
  };

  try {
    const result = isPaper ? await (deps.paperTransaction ?? ((fn) => db.transaction(fn)))(body) : await body(null);
    crashPoint('deployment.after_commit');
    rt.row = { ...row, runner: state as unknown as Record<string, unknown>, lastBarTime: newLastBar, lastDecision, stateReason: null };
    if (ctx.paused) rt.row.state = 'paused';
    result.nextDueMs = nextDue();
    return result;
  } catch (error) {
    if (error instanceof LeaseLostError) return { status: 'lost', barsProcessed: 0, orders: 0, nextDueMs: Infinity };
    if (error instanceof WaitForOrder) {
      // The bar is processed again once the order settles; the strategy has seen it, which is idempotent.
      await db.update(deployments).set({ stateReason: `waiting for order ${error.orderId} (${error.status}) to settle` }).where(and(eq(deployments.id, rt.id), eq(deployments.leaseEpoch, rt.epoch)));
      return { status: 'waiting', barsProcessed: 0, orders: ctx.ordersPlaced, nextDueMs: now + 2_000 };
    }
    throw error;
  }
}

/** Live/simulated deployments start deciding on the first candle that closes after they were created. */
function seriesStartDecisionFloor(rt: DeploymentRuntime): number {
  if (rt.row.feed.type === 'simulated') return rt.row.feed.startMs! - rt.step;
  return Math.floor(rt.row.createdAt.getTime() / rt.step) * rt.step - rt.step;
}

async function pauseForRisk(db: DbOrTx, rt: DeploymentRuntime, reason: string, now: number): Promise<void> {
  const feedTime = feedTimeAt(rt.row, now);
  await db
    .update(deployments)
    .set({ state: 'paused', stateReason: reason, leaseOwner: null, leaseExpiresAt: null, leaseEpoch: sql`${deployments.leaseEpoch} + 1`, feedClock: feedTime === null || rt.row.feed.type === 'live' ? null : { feedTimeMs: feedTime, wallMs: now } })
    .where(eq(deployments.id, rt.id));
  await applyStrategyEvent(db, rt.userId, rt.row.strategyId, 'pause');
}

async function completeReplay(db: Db, rt: DeploymentRuntime, now: number): Promise<void> {
  await db.transaction(async (tx) => {
    const [done] = await tx
      .update(deployments)
      .set({ state: 'completed', stateReason: 'the replay reached the last stored candle', leaseOwner: null, leaseExpiresAt: null, leaseEpoch: sql`${deployments.leaseEpoch} + 1`, endedAt: new Date(now), updatedAt: new Date(now) })
      .where(and(eq(deployments.id, rt.id), eq(deployments.leaseEpoch, rt.epoch), eq(deployments.state, 'running')))
      .returning({ id: deployments.id });
    if (!done) return;
    await applyStrategyEvent(tx, rt.userId, rt.row.strategyId, 'stop');
    await raiseAlert(tx, { userId: rt.userId, deploymentId: rt.id, accountId: rt.account.id, kind: 'deployment_completed', severity: 'info', message: `Replay of ${rt.row.strategy.symbol} ${rt.row.strategy.timeframe} completed; the position is kept.`, dedupeKey: `completed:${rt.id}` });
    await notifyEvent(tx, { kind: 'deployment', userId: rt.userId, deploymentId: rt.id, state: 'completed' });
  });
}

/**
 * Sells a stopped deployment's position at market (called by stopDeployment, after the stop revoked the
 * lease). Paper replays sell at their last processed close; paper on live data at the latest price.
 */
export async function closeDeploymentPosition(db: Db, userId: string, row: DeploymentRow, runner: RunnerState, deps: DeploymentDeps = {}): Promise<string | null> {
  const account = await findOwnedAccount(db, userId, row.accountId);
  const clientOrderId = deriveClientOrderId({ deploymentId: row.id, barTimeMs: row.lastBarTime ?? 0, intent: 'close' });
  const input = { accountId: account.id, symbol: row.strategy.symbol, side: 'sell' as const, type: 'market' as const, quantity: dec(runner.quantity), clientOrderId, deploymentId: row.id };
  if (account.exchange === PAPER_EXCHANGE) {
    return db.transaction(async (tx) => {
      // The deployment row first, as a tick takes it (docs/orders.md, "Locks"), then the order and the balances.
      await queryRows(tx, 'select id from deployments where id = $1::uuid for update', [row.id]);
      input.quantity = await paperSellQuantity(tx, account.id, row.strategy.symbol, runner.quantity);
      const step = timeframeToMs(row.strategy.timeframe);
      const prices = row.feed.type !== 'live' && runner.lastClose !== null && row.lastBarTime !== null ? fixedPrice(runner.lastClose, row.lastBarTime + step, `${row.feed.type} ${row.strategy.exchange} ${row.strategy.timeframe}`) : (deps.prices ?? defaultPaperPriceSource)(tx);
      const { order } = await placePaperOrderInTx(tx, userId, account, input, prices, deps.clock);
      const fill = order.status === 'filled' ? await fillOf(tx, order, 'sell', row.lastBarTime === null ? Date.now() : row.lastBarTime + step) : null;
      if (fill) {
        const state = structuredClone(runner);
        new DeploymentRunner(state, createStrategy(row.strategy.type, row.strategy.params), { capital: Number(row.capitalQuote), feeRate: Number(account.feeRate ?? '0.001'), slippage: Number(account.slippage ?? '0.0005') }).applyFill(fill, 'close');
        state.equity = state.cash;
        await tx.update(deployments).set({ runner: state as unknown as Record<string, unknown> }).where(eq(deployments.id, row.id));
      }
      return order.id;
    });
  }
  const { order } = await placeOrder(db, userId, input, deps);
  return order.id;
}
