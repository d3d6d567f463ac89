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
 * `lastBarTime` (open time, ms UTC; null before the first). `followUp`: the state change was already announced
 * and this one says that what came after it (orders canceled, position sold) is done: refetch, but it is not
 * a second state change (no notification).
 */
const deploymentEventSchema = z.object({
  kind: z.literal('deployment'),
  userId: id,
  deploymentId: id,
  state: z.enum(DEPLOYMENT_STATES),
  lastBarTime: z.number().nullable().optional(),
  followUp: z.literal(true).optional(),
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
  if (fields.followUp) event.followUp = true;
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
 * Whether an event goes into event_log (so a resuming stream replays it): every event with an owner but progress
 * (a deployment's tick, `running` with lastBarTime; a running job's progress), which the next one supersedes and
 * which is sent often; it goes out as a NOTIFY only, without a number.
 */
export function isLoggedEvent(event: AppEvent): boolean {
  if (event.kind === 'job_queued' || event.userId === null) return false;
  if (event.kind === 'deployment' && event.state === 'running' && event.lastBarTime !== undefined) return false;
  if (event.kind === 'job' && event.status === 'running') return false;
  return true;
}

/**
 * The one statement that sends `events`: their NOTIFYs, in order; for every logged event (isLoggedEvent), its row
 * in `event_log`, numbered by the table's sequence, the NOTIFY payload carrying the number as `seq` (an SSE stream
 * sends it as the event's id, from which a client resumes); and, for the events that can be notifications (a fill,
 * a rejection, a state change, ...), the notification outbox rows of the user's matching rules. Everything is
 * written by this one statement and so committed exactly when the events are (docs/notifications.md,
 * docs/architecture.md "Live streams"). Progress events cost nothing more than their NOTIFY.
 */
export function notifyStatement(events: readonly AppEvent[]): { text: string; params: unknown[] } {
  const candidates = notificationCandidates(events);
  const outbox = (param: number) => (candidates.length === 0 ? '' : `${outboxCte(param)}, `);
  if (!events.some(isLoggedEvent)) {
    const notifies = events.map((_, i) => `pg_notify($1, $${i + 2})`).join(', ');
    const params: unknown[] = [EVENTS_CHANNEL, ...events.map(appEventPayload)];
    if (candidates.length === 0) return { text: `select ${notifies}`, params };
    params.push(JSON.stringify(candidates));
    return { text: `with ${outbox(params.length).slice(0, -2)} select ${notifies}`, params };
  }
  const params: unknown[] = [EVENTS_CHANNEL, JSON.stringify(events.map((event) => ({ event, logged: isLoggedEvent(event) })))];
  if (candidates.length > 0) params.push(JSON.stringify(candidates));
  // event_input is materialized (it calls nextval and is read twice): each logged event gets its number once.
  const logged = `event_input as (
    select e.item->'event' as item, e.ord, case when (e.item->>'logged')::boolean then nextval('event_log_id_seq') end as seq
    from jsonb_array_elements($2::jsonb) with ordinality as e(item, ord)
  ), event_log_rows as (
    insert into event_log (id, user_id, event) select seq, item->>'userId', item from event_input where seq is not null
  )`;
  // pg_notify is volatile: evaluated after the ORDER BY, so the notifications go out in the events' order.
  const select = `select pg_notify($1, case when seq is null then item::text else (item || jsonb_build_object('seq', seq))::text end) from event_input order by ord`;
  return { text: `with ${outbox(3)}${logged} ${select}`, params };
}

/** An event with its number in event_log (null for an event without an owner, which is not logged). */
export interface SequencedEvent {
  seq: number | null;
  event: AppEvent;
}

/** The event in a NOTIFY payload and its `seq`, or null when the payload is not an AppEvent. */
export function parseSequencedEvent(payload: string): SequencedEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return null;
  }
  const parsed = appEventSchema.safeParse(json);
  if (!parsed.success) return null;
  const seq = (json as { seq?: unknown }).seq;
  return { seq: typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : null, event: parsed.data };
}

/** How many logged events a resuming stream replays at most (a client gone longer refetches instead). */
export const REPLAY_LIMIT = 1_000;

/** The user's logged events numbered after `afterSeq`, oldest first (a resuming stream replays them). */
export async function userEventsAfter(
  db: DbOrTx,
  userId: string,
  afterSeq: number,
  limit = REPLAY_LIMIT,
): Promise<Array<{ seq: number; event: UserAppEvent }>> {
  const rows = await queryRows<{ id: string | number; event: unknown }>(
    db,
    'select id, event from event_log where user_id = $1 and id > $2 order by id limit $3',
    [userId, afterSeq, limit],
  );
  const out: Array<{ seq: number; event: UserAppEvent }> = [];
  for (const row of rows) {
    const parsed = appEventSchema.safeParse(row.event);
    if (parsed.success && parsed.data.kind !== 'job_queued') out.push({ seq: Number(row.id), event: parsed.data });
  }
  return out;
}

/** How long event_log keeps an event: a stream resumes within this (pruned hourly by the worker). */
export const EVENT_LOG_KEEP_MS = 3_600_000;

/** Deletes the logged events older than keepMs; returns how many. */
export async function pruneEventLog(db: DbOrTx, nowMs: number = Date.now(), keepMs = EVENT_LOG_KEEP_MS): Promise<number> {
  const rows = await queryRows(db, 'with gone as (delete from event_log where created_at < $1::timestamptz returning 1) select count(*)::int as n from gone', [
    new Date(nowMs - keepMs).toISOString(),
  ]);
  return Number(rows[0]?.n ?? 0);
}

/**
 * notifyStatement for a batch of any size with a fixed text (the events as one JSON array parameter), so a batch of
 * ticks prepares one statement whatever its number of events: the same NOTIFYs, in order, with the same event_log
 * and outbox rows (notifyStatement's logged form already has a fixed text; progress alone is NOTIFY-only).
 */
export function notifyBatchStatement(events: readonly AppEvent[]): { text: string; params: unknown[] } {
  if (events.some(isLoggedEvent) || notificationCandidates(events).length > 0) return notifyStatement(events);
  return {
    text: 'select count(pg_notify($1, e)) from json_array_elements_text($2::json) as e',
    params: [EVENTS_CHANNEL, JSON.stringify(events.map(appEventPayload))],
  };
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
