import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, compare, formatDecimal } from '../money/decimal';
import { DomainError } from '../money/errors';
import {
  applyOrderEvent,
  fillKey,
  InvalidTransitionError,
  isTerminal,
  newOrderState,
  ORDER_EVENT_TYPES,
  ORDER_STATUSES,
  ORDER_TRANSITIONS,
  OverfillError,
  renderTransitionTable,
  type OrderEvent,
  type OrderEventType,
  type OrderState,
  type OrderStatus,
} from './state-machine';

function run(order: OrderState, ...events: OrderEvent[]): OrderState {
  return events.reduce((current, event) => applyOrderEvent(current, event).order, order);
}

function fill(tradeId: string, quantity: string, price = '100', fee?: { cost: string; currency: string }): OrderEvent {
  return { type: 'fill', fill: { tradeId, quantity, price, ...(fee ? { fee } : {}) } };
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const fresh = () => newOrderState({ exchange: 'binance', quantity: '1' });
const opened = () => run(fresh(), { type: 'sent_ack', exchangeOrderId: 'x1' });
const ambiguous = () => run(fresh(), { type: 'send_ambiguous', reason: 'timeout after 10s' });

/** A representative event of each type, for exhaustive checks over the table. */
const SAMPLE_EVENTS: Record<OrderEventType, OrderEvent> = {
  sent_ack: { type: 'sent_ack', exchangeOrderId: 'x1' },
  send_rejected: { type: 'send_rejected', reason: 'insufficient funds' },
  send_ambiguous: { type: 'send_ambiguous', reason: 'timeout' },
  fill: fill('t-sample', '0.1'),
  canceled: { type: 'canceled' },
  expired: { type: 'expired' },
  rejected: { type: 'rejected', reason: 'post-only would cross' },
  reconciled_open: { type: 'reconciled_open', exchangeOrderId: 'x1' },
  reconciled_filled: { type: 'reconciled_filled', exchangeOrderId: 'x1' },
  reconciled_canceled: { type: 'reconciled_canceled', exchangeOrderId: 'x1' },
  reconciled_expired: { type: 'reconciled_expired', exchangeOrderId: 'x1' },
  reconciled_rejected: { type: 'reconciled_rejected', reason: 'rejected' },
  reconciled_not_found: { type: 'reconciled_not_found' },
};

/** An order in `status`, built only through the table. */
function orderIn(status: OrderStatus): OrderState {
  switch (status) {
    case 'new':
      return fresh();
    case 'open':
      return opened();
    case 'partially_filled':
      return run(opened(), fill('p1', '0.5'));
    case 'filled':
      return run(opened(), fill('f1', '1'));
    case 'canceled':
      return run(opened(), { type: 'canceled' });
    case 'rejected':
      return run(fresh(), { type: 'send_rejected', reason: 'invalid' });
    case 'expired':
      return run(opened(), { type: 'expired' });
    case 'unknown':
      return ambiguous();
  }
}

describe('applyOrderEvent: paths through the table', () => {
  it('new → open → partially_filled → filled, with cost, average price and fee totals', () => {
    let order = opened();
    expect(order.status, 'the exchange acknowledged the order').toBe('open');
    expect(order.exchangeOrderId, 'the ack carries the exchange order id').toBe('x1');
    order = run(order, fill('t1', '0.4', '100', { cost: '0.04', currency: 'USDT' }));
    expect(order.status, '0.4 of 1 is a partial fill').toBe('partially_filled');
    order = run(order, fill('t2', '0.6', '110', { cost: '0.066', currency: 'USDT' }));
    expect(order.status, 'cumulative 1 of 1 is filled').toBe('filled');
    expect(order.filledQuantity, 'fills add up').toBe('1');
    expect(order.filledCost, '0.4 × 100 + 0.6 × 110').toBe('106');
    expect(order.averageFillPrice, 'volume-weighted average').toBe('106');
    expect(order.fees, 'fees are totalled per currency').toEqual({ USDT: '0.106' });
    expect(order.appliedFillKeys, 'both fills are recorded by key').toEqual([fillKey('binance', 't1'), fillKey('binance', 't2')]);
  });

  it('keeps fees in different currencies apart and accepts rebates', () => {
    const order = run(opened(), fill('t1', '0.5', '100', { cost: '0.0001', currency: 'BNB' }), fill('t2', '0.25', '100', { cost: '-0.01', currency: 'USDT' }));
    expect(order.fees, 'a maker rebate is a negative fee').toEqual({ BNB: '0.0001', USDT: '-0.01' });
  });

  it('rounds the average price to 18 decimal places but keeps the cost exact', () => {
    const order = run(opened(), fill('t1', '0.1', '1'), fill('t2', '0.2', '2'));
    expect(order.filledCost, '0.1 + 0.4').toBe('0.5');
    expect(order.averageFillPrice, '0.5 / 0.3 to 18 places').toBe('1.666666666666666667');
  });

  it('records a definite send failure as rejected and an ambiguous one as unknown', () => {
    const rejected = run(fresh(), { type: 'send_rejected', reason: 'insufficient funds' });
    expect([rejected.status, rejected.statusReason], 'the exchange said no').toEqual(['rejected', 'insufficient funds']);
    const unknown = ambiguous();
    expect([unknown.status, unknown.statusReason], 'a timeout may have placed it').toEqual(['unknown', 'timeout after 10s']);
  });

  it('keeps partial fills on a canceled order and accepts a late fill without reopening it', () => {
    let order = run(opened(), fill('t1', '0.3'), { type: 'canceled', reason: 'user' });
    expect([order.status, order.filledQuantity], 'canceled after a partial fill').toEqual(['canceled', '0.3']);
    order = run(order, fill('t2', '0.2'));
    expect([order.status, order.filledQuantity], 'a trade reported after the cancel still counts').toEqual(['canceled', '0.5']);
  });
});

describe('applyOrderEvent: reconciliation of unknown orders', () => {
  it('records fills while unknown without settling the status', () => {
    const order = run(ambiguous(), fill('t1', '1'));
    expect([order.status, order.filledQuantity], 'only a reconciled_* event settles an unknown order').toEqual(['unknown', '1']);
  });

  it('settles to open or partially_filled by the fills already applied', () => {
    expect(run(ambiguous(), SAMPLE_EVENTS.reconciled_open).status, 'found resting, no trades').toBe('open');
    const partial = run(ambiguous(), fill('t1', '0.3'), SAMPLE_EVENTS.reconciled_open);
    expect(partial.status, 'found resting with a trade').toBe('partially_filled');
    expect(partial.exchangeOrderId, 'reconciliation learns the exchange id').toBe('x1');
  });

  it('settles to filled only once every fill is applied', () => {
    const error = thrown(() => run(ambiguous(), fill('t1', '0.3'), SAMPLE_EVENTS.reconciled_filled));
    expect(error, 'filled with 0.3 of 1 would be a lie').toBeInstanceOf(InvalidTransitionError);
    expect((error as InvalidTransitionError).reason, 'tells the reconciler what to do').toMatch(/apply the order's trades/);
    expect(run(ambiguous(), fill('t1', '1'), SAMPLE_EVENTS.reconciled_filled).status, 'all trades applied').toBe('filled');
  });

  it('settles not_found to rejected, unless a fill proves the order exists', () => {
    const order = run(ambiguous(), SAMPLE_EVENTS.reconciled_not_found);
    expect([order.status, order.statusReason], 'it never reached the book').toEqual(['rejected', 'not found on exchange']);
    expect(
      thrown(() => run(ambiguous(), fill('t1', '0.1'), SAMPLE_EVENTS.reconciled_not_found)),
      'an order with a trade was found, whatever the lookup said',
    ).toBeInstanceOf(InvalidTransitionError);
  });

  it('refuses reconciled_open when the fills already complete the order', () => {
    expect(
      thrown(() => run(ambiguous(), fill('t1', '1'), SAMPLE_EVENTS.reconciled_open)),
      'a fully filled order cannot be resting',
    ).toBeInstanceOf(InvalidTransitionError);
  });
});

describe('applyOrderEvent: fills', () => {
  it('refuses an overfill and leaves the order as it was', () => {
    const order = deepFreeze(run(opened(), fill('t1', '0.7')));
    const error = thrown(() => applyOrderEvent(order, fill('t2', '0.4')));
    expect(error, '0.7 + 0.4 > 1').toBeInstanceOf(OverfillError);
    expect((error as OverfillError).code, 'overfill has its own code').toBe('overfill');
    expect(order.filledQuantity, 'the input is untouched').toBe('0.7');
  });

  it('applies a duplicate fill once and reports it, in any status', () => {
    const once = run(opened(), fill('t1', '0.4'));
    const again = applyOrderEvent(once, fill('t1', '0.4'));
    expect(again.outcome, 'the second copy is reported as a duplicate').toBe('duplicate_fill');
    expect(again.order.filledQuantity, 'and not counted').toBe('0.4');
    const filled = run(once, fill('t2', '0.6'));
    expect(applyOrderEvent(filled, fill('t2', '0.6')).outcome, 'a replayed fill on a filled order is not an error').toBe('duplicate_fill');
  });

  it('keys fills by exchange and trade id', () => {
    const order = newOrderState({ exchange: 'paper', quantity: '1' });
    const withFill = run(order, { type: 'sent_ack', exchangeOrderId: 'p1' }, fill('42', '0.5'));
    expect(withFill.appliedFillKeys, 'the key carries the exchange').toEqual(['paper:42']);
    expect(fillKey('binance', '42'), 'the same trade id on another exchange is another fill').not.toBe(fillKey('paper', '42'));
  });

  it.each([
    [fill('t1', '0'), 'fill.quantity', 'must be greater than zero'],
    [fill('t1', '-0.1'), 'fill.quantity', 'must not be negative'],
    [fill('t1', '0.1', '0'), 'fill.price', 'must be greater than zero'],
    [fill('t1', '0.1', 'NaN'), 'fill.price', 'must be a decimal number'],
    [fill('', '0.1'), 'fill.tradeId', 'must not be empty'],
    [fill('t1', '0.1', '1', { cost: 'x', currency: 'USDT' }), 'fill.fee.cost', 'must be a decimal number'],
  ])('refuses an invalid fill value (%#)', (event, field, reason) => {
    const error = thrown(() => applyOrderEvent(opened(), event));
    expect(error, 'invalid values fail fast').toBeInstanceOf(DomainError);
    expect([(error as DomainError).field, (error as DomainError).reason], 'naming the field and reason').toEqual([field, reason]);
  });

  it('validates the order quantity when the order is created', () => {
    expect(
      thrown(() => newOrderState({ exchange: 'binance', quantity: '0' })),
      'zero quantity',
    ).toBeInstanceOf(DomainError);
    expect(newOrderState({ exchange: 'binance', quantity: '1.50' }).quantity, 'canonical quantity').toBe('1.5');
  });
});

describe('the transition table', () => {
  it('lists every status and marks exactly filled, canceled, rejected and expired as terminal', () => {
    expect(Object.keys(ORDER_TRANSITIONS).sort(), 'one row per status').toEqual([...ORDER_STATUSES].sort());
    expect(ORDER_STATUSES.filter(isTerminal), 'the terminal statuses').toEqual(['filled', 'canceled', 'rejected', 'expired']);
    for (const status of ORDER_STATUSES.filter(isTerminal)) {
      for (const targets of Object.values(ORDER_TRANSITIONS[status])) {
        expect(targets, `${status} may only lead to itself`).toEqual([status]);
      }
    }
  });

  it.each(ORDER_STATUSES.flatMap((status) => ORDER_EVENT_TYPES.map((event) => [status, event] as const)))('%s × %s follows the table', (status, eventType) => {
    const order = orderIn(status);
    const targets = ORDER_TRANSITIONS[status][eventType];
    const error = thrown(() => applyOrderEvent(order, SAMPLE_EVENTS[eventType]));
    if (!targets) {
      expect(error, `${eventType} is not listed for ${status}: it must throw`).toBeInstanceOf(InvalidTransitionError);
      expect((error as InvalidTransitionError).from, 'the error says where from').toBe(status);
      return;
    }
    if (error) {
      // Listed pairs may still refuse a sample whose fills contradict the target (e.g. reconciled_filled with no fills).
      expect(error, 'a listed pair only refuses through a domain error').toBeInstanceOf(DomainError);
      return;
    }
    expect(targets, 'the status reached is one the table lists').toContain(applyOrderEvent(order, SAMPLE_EVENTS[eventType]).order.status);
  });

  it('is documented, verbatim, in docs/orders.md', () => {
    const doc = readFileSync(new URL('../../../docs/orders.md', import.meta.url), 'utf8');
    expect(doc, 'docs/orders.md must embed renderTransitionTable() output').toContain(renderTransitionTable());
  });
});

describe('applyOrderEvent over random event sequences', () => {
  const tenths = (n: number) => formatDecimal((n / 10).toFixed(1));
  const scenario = fc.record({
    quantityTenths: fc.integer({ min: 1, max: 20 }),
    // A small pool of trades, referenced repeatedly so duplicates happen; a trade id always has one quantity.
    trades: fc.array(fc.record({ quantityTenths: fc.integer({ min: 1, max: 10 }), price: fc.integer({ min: 1, max: 1000 }) }), {
      minLength: 1,
      maxLength: 6,
    }),
    steps: fc.array(
      fc.oneof(
        fc.constantFrom(...ORDER_EVENT_TYPES.filter((e) => e !== 'fill')).map((type) => ({ kind: 'event' as const, type })),
        fc.nat({ max: 5 }).map((index) => ({ kind: 'fill' as const, index })),
      ),
      { maxLength: 40 },
    ),
  });

  it('never overfills, only moves along the table, never leaves a terminal status and never double counts', () => {
    const reached = new Set<OrderStatus>();
    fc.assert(
      fc.property(scenario, ({ quantityTenths, trades, steps }) => {
        let order = deepFreeze(newOrderState({ exchange: 'binance', quantity: tenths(quantityTenths) }));
        reached.add(order.status);
        const appliedTrades = new Map<string, string>();
        for (const step of steps) {
          let event: OrderEvent;
          if (step.kind === 'fill') {
            const trade = trades[step.index % trades.length]!;
            event = fill(`t${step.index % trades.length}`, tenths(trade.quantityTenths), String(trade.price));
          } else {
            event = SAMPLE_EVENTS[step.type];
          }
          let result;
          try {
            result = applyOrderEvent(order, event);
          } catch (error) {
            expect(
              error instanceof InvalidTransitionError || error instanceof OverfillError,
              `only table or overfill errors are expected, got ${String(error)}`,
            ).toBe(true);
            continue; // the frozen order is unchanged by construction
          }
          const next = result.order;
          if (result.outcome === 'duplicate_fill') {
            expect(next, 'a duplicate changes nothing').toBe(order);
          } else {
            expect(ORDER_TRANSITIONS[order.status][event.type], 'the transition is in the table').toContain(next.status);
            if (event.type === 'fill') appliedTrades.set(event.fill.tradeId, event.fill.quantity);
          }
          if (isTerminal(order.status)) expect(next.status, 'a terminal status never changes').toBe(order.status);
          expect(compare(next.filledQuantity, next.quantity), 'filled never exceeds the order quantity').toBeLessThanOrEqual(0);
          const modelFilled = [...appliedTrades.values()].reduce((total, q) => add(total, q), add(0, 0));
          expect(compare(next.filledQuantity, modelFilled), 'each distinct trade counted exactly once').toBe(0);
          reached.add(next.status);
          order = deepFreeze(next);
        }
      }),
      { numRuns: 500 },
    );
    expect([...reached].sort(), 'the random sequences exercised every status').toEqual([...ORDER_STATUSES].sort());
  });
});
