/** Dates in the user's zone, compact. */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return '—';
  const date = typeof value === 'string' ? new Date(value) : value;
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export const STATE_LABELS: Record<string, { label: string; tone: 'gain' | 'warn' | 'muted' | 'loss' }> = {
  active: { label: 'Active', tone: 'gain' },
  rotating: { label: 'Successor waiting', tone: 'warn' },
  pending: { label: 'Not fetched yet', tone: 'muted' },
  grace: { label: 'Rotated (grace)', tone: 'warn' },
  retired: { label: 'Retired', tone: 'muted' },
  expired: { label: 'Expired', tone: 'muted' },
  revoked: { label: 'Revoked', tone: 'loss' },
};
