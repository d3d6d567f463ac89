/** What the notifications page calls each kind, channel type and delivery status. */
export const KIND_LABELS: Record<string, string> = {
  fill: 'Fills',
  order_rejected: 'Order rejections',
  deployment_state: 'Deployment state changes',
  circuit_breaker: 'Circuit breakers',
  kill_switch: 'Kill switch',
  reconciliation: 'Reconciliation findings',
  daily_summary: 'Daily summary',
  test: 'Test message',
};

export const CHANNEL_TYPE_LABELS: Record<string, string> = { telegram: 'Telegram', discord: 'Discord', webhook: 'Webhook' };

export const DELIVERY_STATUS: Record<string, { label: string; tone: 'gain' | 'warn' | 'loss' | 'muted' }> = {
  pending: { label: 'Pending', tone: 'muted' },
  retrying: { label: 'Retrying', tone: 'warn' },
  delivered: { label: 'Delivered', tone: 'gain' },
  dead: { label: 'Dead', tone: 'loss' },
};

/** Dates in the user's zone, compact (as the keys page shows them). */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
