/**
 * Which notification (if any) an AppEvent is: the one mapping from the event union (server/services/events.ts) to the
 * kinds a rule can ask for. Pure, and imported by events.ts, so the outbox insert rides on the event's own statement.
 */
import { isUuid } from '@/server/core/ids';
import type { NotificationKind } from '@/db/schema/notifications';
import type { AppEvent } from '@/server/services/events';

export interface NotificationCandidate {
  userId: string;
  kind: NotificationKind;
  /** Rules for one deployment match only events of that deployment; rules without one match every event. */
  deploymentId: string | null;
  event: AppEvent;
}

/** The alert kinds that are notifications of their own (order rejections and the kill switch arrive as their own events). */
const ALERT_NOTIFICATIONS: Partial<Record<string, NotificationKind>> = {
  circuit_breaker: 'circuit_breaker',
  reconciliation: 'reconciliation',
  risk_rejected: 'order_rejected',
  signal_rejected: 'order_rejected',
};

export function notificationKindOf(event: AppEvent): NotificationKind | null {
  switch (event.kind) {
    case 'order':
      if (event.status === 'filled' || event.status === 'partially_filled') return 'fill';
      return event.status === 'rejected' ? 'order_rejected' : null;
    case 'deployment':
      // A tick's progress ("running", up to lastBarTime) is not a state change, nor is a stop's follow-up.
      return 'lastBarTime' in event || event.followUp ? null : 'deployment_state';
    case 'alert':
      return event.alertKind ? (ALERT_NOTIFICATIONS[event.alertKind] ?? null) : null;
    case 'kill_switch':
      return 'kill_switch';
    case 'job':
    case 'job_queued':
      return null;
  }
}

/** The events of `events` that may become notifications, with what a rule matches them on. */
export function notificationCandidates(events: readonly AppEvent[]): NotificationCandidate[] {
  const candidates: NotificationCandidate[] = [];
  for (const event of events) {
    const kind = notificationKindOf(event);
    if (!kind || !('userId' in event) || !event.userId || !isUuid(event.userId)) continue;
    const deploymentId = 'deploymentId' in event && event.deploymentId && isUuid(event.deploymentId) ? event.deploymentId : null;
    candidates.push({ userId: event.userId, kind, deploymentId, event });
  }
  return candidates;
}

/**
 * A data-modifying CTE that queues one outbox row per (candidate, matching channel): an index probe on the rules
 * per statement and nothing else when the user has none. One channel gets one row per event even when a global and
 * a per-deployment rule both match. `param` is the placeholder number of the candidates' JSON.
 */
export function outboxCte(param: number): string {
  return `notification_outbox_rows as (
    insert into notification_outbox (user_id, channel_id, kind, event)
    select distinct on (e.ord, r.channel_id) r.user_id, r.channel_id, r.kind, e.item->'event'
    from jsonb_array_elements($${param}::jsonb) with ordinality as e(item, ord)
    join notification_rules r on r.user_id = (e.item->>'userId')::uuid and r.kind = e.item->>'kind'
      and (r.deployment_id is null or r.deployment_id = (e.item->>'deploymentId')::uuid)
    join notification_channels c on c.id = r.channel_id and c.enabled
    order by e.ord, r.channel_id
  )`;
}
