/** Human labels of audit event types (server/services/audit.ts AUDIT_EVENT_TYPES); unknown types show raw. */
export const AUDIT_LABELS: Record<string, string> = {
  'auth.registered': 'Account created',
  'auth.sign_in': 'Signed in',
  'auth.sign_in_failed': 'Failed sign-in',
  'auth.token_refreshed': 'Access token refreshed',
  'auth.refresh_reuse_detected': 'Refresh token reuse detected',
  'invite.created': 'Invite created',
  'invite.used': 'Invite used to register',
  'invite.revoked': 'Invite revoked',
  'account.password_changed': 'Password changed',
  'account.signed_out_everywhere': 'Signed out everywhere',
  'key.created': 'API key created',
  'key.rotated': 'API key rotated',
  'key.auto_rotated': 'Successor issued before expiry',
  'key.successor_fetched': 'Successor fetched',
  'key.revoked': 'API key revoked',
  'key.used_during_grace': 'Rotated key used during grace',
  'key.emergency_revocation': 'Emergency revocation',
  'exchange_account.added': 'Exchange account added',
  'exchange_account.changed': 'Exchange account changed',
  'exchange_account.removed': 'Exchange account removed',
  'deployment.live_started': 'Live deployment started',
  'deployment.stopped': 'Deployment stopped',
  'kill_switch.activated': 'Kill switch activated',
  'kill_switch.released': 'Kill switch released',
  'signal.secret_rotated': 'Signal webhook secret made or rotated',
  'market_data.series_deleted': 'Candle series deleted',
  'market_data.price_level_confirmed': 'Upload at an unusual price level confirmed',
};

/**
 * The label of one event: an account event names a paper account as a paper account (the event types say
 * "exchange_account" for both kinds; the details carry the account's exchange, "paper" for paper ones).
 */
export function auditLabel(type: string, details: Record<string, unknown>): string {
  if (type.startsWith('exchange_account.') && details.exchange === 'paper') {
    const label = AUDIT_LABELS[type];
    if (label) return label.replace('Exchange account', 'Paper account');
  }
  return AUDIT_LABELS[type] ?? type;
}

export const AUDIT_CATEGORY_LABELS = {
  auth: 'Sign-ins',
  account: 'Account',
  keys: 'API keys',
  exchange: 'Exchange accounts',
  trading: 'Trading',
  data: 'Market data',
} as const;

export const ALARMING = new Set([
  'auth.sign_in_failed',
  'auth.refresh_reuse_detected',
  'key.emergency_revocation',
  'key.used_during_grace',
  'kill_switch.activated',
  'market_data.series_deleted',
]);

/** A short, secret-free summary of an event's details. */
export function summarize(details: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ['name', 'prefix', 'successorPrefix', 'scopes', 'reason', 'during', 'via', 'revokedKeys']) {
    const value = details[key];
    if (value === undefined || value === null) continue;
    parts.push(`${key === 'successorPrefix' ? 'successor' : key}: ${Array.isArray(value) ? value.join(',') : String(value)}`);
  }
  return parts.join(' · ');
}
