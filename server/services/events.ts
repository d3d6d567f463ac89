import { z } from 'zod';
import type { DbOrTx } from '@/db/client';
import { queryRows } from '@/db/raw';
import { ALERT_SEVERITIES, DEPLOYMENT_STATES, JOB_STATUSES } from '@/db/schema';
import { ORDER_STATUSES } from '@/server/core/orders';
import { notificationCandidates, outboxCte } from '@/server/services/notifications/kinds';

/**
 * Real-time events over PostgreSQL NOTIFY on one channel. The web server LISTENs and fans them out to
 * tRPC subscriptions; the worker LISTENs to wake up; inside a transaction, the notification is delivered
 * only if it commits.
 *
 * The contract is ONE discriminated union, `AppEvent`, with one constructor per kind (below); every
 * emitter builds its event with the constructor and every consumer parses a payload with `parseAppEvent`
 * and narrows by `kind`. Nothing reads the payload's text.
 */
export const EVENTS_CHANNEL = 'cryptobot_events';

// Every event but `job_queued` names its owner (`userId`): the hub delivers an event to its owner only.
const id = z.string().min(1);

/** An order changed (placed, filled, canceled, …): refetch it, and its deployment's figures if it has one. */
const orderEventSchema = z.object({ kind: z.literal('order'), userId: id, orderId: id, status: z.enum(ORDER_STATUSES), deploymentId: id.nullable() });
/**
 * A deployment changed state, or (state `running` with `lastBarTime`) its runner processed candles up to
 * `lastBarTime` (open time, ms UTC; null before the first).
 */
const deploymentEventSchema = z.object({
  kind: z.literal('deployment'),
  userId: id,
  deploymentId: id,
  state: z.enum(DEPLOYMENT_STATES),
  lastBarTime: z.number().nullable().optional(),
});
/** A job's status or progress (0..1) changed. A job without an owner (userId null) is delivered to nobody. */
const jobEventSchema = z.object({ kind: z.literal('job'), userId: id.nullable(), jobId: id, status: z.enum(JOB_STATUSES), progress: z.number() });
/** A job was queued: idle job runners wake up. Not a user's event (no userId). */
const jobQueuedEventSchema = z.object({ kind: z.literal('job_queued'), jobId: id, type: id });
/**
 * An alert was raised for the user; `alertKind` (services/alerts ALERT_KINDS) and its deployment let the
 * notification rules choose it (server/services/notifications/kinds.ts).
 */
const alertEventSchema = z.object({
  kind: z.literal('alert'),
  userId: id,
  alertId: z.number().int(),
  severity: z.enum(ALERT_SEVERITIES),
  alertKind: z.string().min(1).optional(),
  deploymentId: id.nullable().optional(),
});
/** The user's kill switch (scope `user`) or the global one was engaged or released. */
const killSwitchEventSchema = z.object({ kind: z.literal('kill_switch'), userId: id, engaged: z.boolean(), scope: z.enum(['user', 'global']) });

export const appEventSchema = z.discriminatedUnion('kind', [
  orderEventSchema,
  deploymentEventSchema,
  jobEventSchema,
  jobQueuedEventSchema,
  alertEventSchema,
  killSwitchEventSchema,
]);

export type OrderAppEvent = z.infer<typeof orderEventSchema>;
export type DeploymentAppEvent = z.infer<typeof deploymentEventSchema>;
export type JobAppEvent = z.infer<typeof jobEventSchema>;
export type JobQueuedAppEvent = z.infer<typeof jobQueuedEventSchema>;
export type AlertAppEvent = z.infer<typeof alertEventSchema>;
export type KillSwitchAppEvent = z.infer<typeof killSwitchEventSchema>;
export type AppEvent = z.infer<typeof appEventSchema>;
export type AppEventKind = AppEvent['kind'];
export const APP_EVENT_KINDS = ['order', 'deployment', 'job', 'job_queued', 'alert', 'kill_switch'] as const satisfies readonly AppEventKind[];
/** Events that belong to a user (what a subscription may ask for). */
export type UserAppEvent = Exclude<AppEvent, JobQueuedAppEvent>;
export const USER_APP_EVENT_KINDS = ['order', 'deployment', 'job', 'alert', 'kill_switch'] as const satisfies readonly UserAppEvent['kind'][];

// One constructor per kind. Each copies exactly the fields of its kind (an object with more, such as a
// whole order row, never leaks onto the wire) in the order they have always been sent.

export function orderEvent(fields: Omit<OrderAppEvent, 'kind'>): OrderAppEvent {
  return { kind: 'order', userId: fields.userId, orderId: fields.orderId, status: fields.status, deploymentId: fields.deploymentId };
}

export function deploymentEvent(fields: Omit<DeploymentAppEvent, 'kind'>): DeploymentAppEvent {
  const event: DeploymentAppEvent = { kind: 'deployment', userId: fields.userId, deploymentId: fields.deploymentId, state: fields.state };
  if (fields.lastBarTime !== undefined) event.lastBarTime = fields.lastBarTime;
  return event;
}

export function jobEvent(fields: Omit<JobAppEvent, 'kind'>): JobAppEvent {
  return { kind: 'job', jobId: fields.jobId, userId: fields.userId, status: fields.status, progress: fields.progress };
}

export function jobQueuedEvent(fields: Omit<JobQueuedAppEvent, 'kind'>): JobQueuedAppEvent {
  return { kind: 'job_queued', jobId: fields.jobId, type: fields.type };
}

export function alertEvent(fields: Omit<AlertAppEvent, 'kind'>): AlertAppEvent {
  const event: AlertAppEvent = { kind: 'alert', userId: fields.userId, alertId: fields.alertId, severity: fields.severity };
  if (fields.alertKind !== undefined) event.alertKind = fields.alertKind;
  if (fields.deploymentId !== undefined) event.deploymentId = fields.deploymentId;
  return event;
}

export function killSwitchEvent(fields: Omit<KillSwitchAppEvent, 'kind'>): KillSwitchAppEvent {
  return { kind: 'kill_switch', userId: fields.userId, engaged: fields.engaged, scope: fields.scope };
}

/** The event in a NOTIFY payload, or null when it is not JSON or not an AppEvent (a consumer logs and skips it). */
export function parseAppEvent(payload: string): AppEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return null;
  }
  const parsed = appEventSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/**
 * parseAppEvent for a consumer of some kinds only: an event of another kind is null without being validated. A
 * worker's listeners hear every event of the channel (each paper tick's own order and deployment events, two per
 * deployment in a burst), and validating all of them was a few percent of its CPU in the aligned burst.
 */
export function parseAppEventOf<K extends AppEvent['kind']>(payload: string, kinds: readonly K[]): Extract<AppEvent, { kind: K }> | null {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return null;
  }
  const kind = typeof json === 'object' && json !== null ? (json as { kind?: unknown }).kind : undefined;
  if (!(kinds as readonly unknown[]).includes(kind)) return null;
  const parsed = appEventSchema.safeParse(json);
  return parsed.success ? (parsed.data as Extract<AppEvent, { kind: K }>) : null;
}

/** The payload NOTIFY carries for `event` (for a caller that sends it inside a statement of its own). */
export function appEventPayload(event: AppEvent): string {
  return JSON.stringify(event);
}

export function notifyEvent(db: DbOrTx, event: AppEvent): Promise<void> {
  return notifyEvents(db, [event]);
}

/**
 * The one statement that sends `events`: their NOTIFYs and, for the events that can be notifications (a fill, a
 * rejection, a state change, ...), the notification outbox rows of the user's matching rules, written by the same
 * statement and so committed exactly when the events are (docs/notifications.md). Events that can never be a
 * notification (a tick's progress, jobs) cost nothing more than their NOTIFY.
 */
export function notifyStatement(events: readonly AppEvent[]): { text: string; params: unknown[] } {
  const notifies = events.map((_, i) => `pg_notify($1, $${i + 2})`).join(', ');
  const params: unknown[] = [EVENTS_CHANNEL, ...events.map(appEventPayload)];
  const candidates = notificationCandidates(events);
  if (candidates.length === 0) return { text: `select ${notifies}`, params };
  params.push(JSON.stringify(candidates));
  return { text: `with ${outboxCte(params.length)} select ${notifies}`, params };
}

/**
 * notifyStatement for a batch of any size with a fixed text (the events as one JSON array parameter), so a batch of
 * ticks prepares one statement whatever its number of events: the same NOTIFYs, in order, with the same outbox rows.
 */
export function notifyBatchStatement(events: readonly AppEvent[]): { text: string; params: unknown[] } {
  const select = 'select count(pg_notify($1, e)) from json_array_elements_text($2::json) as e';
  const params: unknown[] = [EVENTS_CHANNEL, JSON.stringify(events.map(appEventPayload))];
  const candidates = notificationCandidates(events);
  if (candidates.length === 0) return { text: select, params };
  params.push(JSON.stringify(candidates));
  return { text: `with ${outboxCte(params.length)} ${select}`, params };
}

/**
 * Several events in one prepared statement, issued at the call (so it goes out in order with the caller's other
 * statements); in a transaction, all are delivered at its commit, in order, with their notification outbox rows.
 */
export async function notifyEvents(db: DbOrTx, events: readonly AppEvent[]): Promise<void> {
  if (events.length === 0) return;
  const statement = notifyStatement(events);
  await queryRows(db, statement.text, statement.params);
}
