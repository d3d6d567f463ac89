import { describe, expect, it } from 'vitest';
import {
  alertEvent,
  APP_EVENT_KINDS,
  appEventPayload,
  deploymentEvent,
  jobEvent,
  jobQueuedEvent,
  killSwitchEvent,
  orderEvent,
  parseAppEvent,
  parseAppEventOf,
  type AppEvent,
} from './events';

const DEPLOYMENT = '6f1c7c1e-8a53-4a0b-9a57-0d3c3e0e2b11';
const ORDER = '0b6a3f0e-51a5-4a55-9b39-3f1f2a6c7d22';

/** One event of each kind, built by its constructor, with the JSON each has always carried on the wire. */
const SAMPLES: Array<[AppEvent, string]> = [
  [
    orderEvent({ userId: 'u1', orderId: ORDER, status: 'filled', deploymentId: DEPLOYMENT }),
    `{"kind":"order","userId":"u1","orderId":"${ORDER}","status":"filled","deploymentId":"${DEPLOYMENT}"}`,
  ],
  [
    orderEvent({ userId: 'u1', orderId: ORDER, status: 'open', deploymentId: null }),
    `{"kind":"order","userId":"u1","orderId":"${ORDER}","status":"open","deploymentId":null}`,
  ],
  [
    deploymentEvent({ userId: 'u1', deploymentId: DEPLOYMENT, state: 'paused' }),
    `{"kind":"deployment","userId":"u1","deploymentId":"${DEPLOYMENT}","state":"paused"}`,
  ],
  [
    deploymentEvent({ userId: 'u1', deploymentId: DEPLOYMENT, state: 'running', lastBarTime: 1_700_000_000_000 }),
    `{"kind":"deployment","userId":"u1","deploymentId":"${DEPLOYMENT}","state":"running","lastBarTime":1700000000000}`,
  ],
  [
    deploymentEvent({ userId: 'u1', deploymentId: DEPLOYMENT, state: 'running', lastBarTime: null }),
    `{"kind":"deployment","userId":"u1","deploymentId":"${DEPLOYMENT}","state":"running","lastBarTime":null}`,
  ],
  [jobEvent({ jobId: 'j1', userId: 'u1', status: 'running', progress: 0.25 }), '{"kind":"job","jobId":"j1","userId":"u1","status":"running","progress":0.25}'],
  [jobEvent({ jobId: 'j1', userId: null, status: 'completed', progress: 1 }), '{"kind":"job","jobId":"j1","userId":null,"status":"completed","progress":1}'],
  [jobQueuedEvent({ jobId: 'j1', type: 'backtest.run' }), '{"kind":"job_queued","jobId":"j1","type":"backtest.run"}'],
  [alertEvent({ userId: 'u1', alertId: 42, severity: 'critical' }), '{"kind":"alert","userId":"u1","alertId":42,"severity":"critical"}'],
  [killSwitchEvent({ userId: 'u1', engaged: true, scope: 'global' }), '{"kind":"kill_switch","userId":"u1","engaged":true,"scope":"global"}'],
];

describe('AppEvent', () => {
  it.each(SAMPLES)('%o is sent as before and parses back to itself', (event, wire) => {
    expect(appEventPayload(event), 'the same fields on the wire as the object literals it replaced').toBe(wire);
    expect(parseAppEvent(wire), 'the parser gives back the constructed event').toEqual(event);
  });

  it('has a constructor sample for every kind', () => {
    expect(new Set(SAMPLES.map(([e]) => e.kind)), 'every kind of the union is covered').toEqual(new Set(APP_EVENT_KINDS));
  });

  it("copies only its kind's fields, so a whole row passed in never leaks onto the wire", () => {
    const row = { userId: 'u1', orderId: ORDER, status: 'open' as const, deploymentId: null, apiSecret: 'do-not-send' };
    expect(Object.keys(orderEvent(row)), 'exactly the order event fields').toEqual(['kind', 'userId', 'orderId', 'status', 'deploymentId']);
  });

  it.each([
    ['not json', 'not JSON'],
    ['{"kind":"nonsense","userId":"u1"}', 'an unknown kind'],
    ['{"kind":"job","userId":"u1","jobId":"j1"}', 'a job event without status and progress'],
    [`{"kind":"order","userId":"u1","orderId":"${ORDER}","status":"half-done","deploymentId":null}`, 'an order status outside the state machine'],
    [`{"kind":"deployment","deploymentId":"${DEPLOYMENT}","state":"running"}`, 'a deployment event without its owner'],
    ['{"kind":"alert","userId":"u1","alertId":"42","severity":"info"}', 'an alert id that is not a number'],
    ['null', 'null'],
  ])('refuses %s (%s)', (payload) => {
    expect(parseAppEvent(payload), 'a payload outside the union is not an event').toBeNull();
  });

  it.each(SAMPLES)('%o: a consumer of its kind gets it as parseAppEvent does; a consumer of other kinds gets null', (event, wire) => {
    expect(parseAppEventOf(wire, [event.kind]), 'its own kind: the validated event').toEqual(event);
    const others = APP_EVENT_KINDS.filter((kind) => kind !== event.kind);
    expect(parseAppEventOf(wire, others), 'only other kinds wanted: skipped').toBeNull();
  });

  it('a consumer of a kind still refuses an invalid event of that kind', () => {
    expect(parseAppEventOf(`{"kind":"deployment","deploymentId":"${DEPLOYMENT}","state":"running"}`, ['deployment']), 'no owner: not an event').toBeNull();
    expect(parseAppEventOf('not JSON', ['deployment'])).toBeNull();
    expect(parseAppEventOf('null', ['deployment'])).toBeNull();
  });
});
