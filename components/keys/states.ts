export const STATE_LABELS: Record<string, { label: string; tone: 'gain' | 'warn' | 'muted' | 'loss' }> = {
  active: { label: 'Active', tone: 'gain' },
  rotating: { label: 'Successor waiting', tone: 'warn' },
  pending: { label: 'Not fetched yet', tone: 'muted' },
  grace: { label: 'Rotated (grace)', tone: 'warn' },
  retired: { label: 'Retired', tone: 'muted' },
  expired: { label: 'Expired', tone: 'muted' },
  revoked: { label: 'Revoked', tone: 'loss' },
};
