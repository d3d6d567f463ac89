/**
 * Message templates: `{{name}}` placeholders filled from the notification's variables. Pure: the default template
 * and the variables of each kind, a sample for the editor's preview, and the renderer.
 */
import { NOTIFICATION_KINDS, type NotificationKind } from '@/db/schema/notifications';

export type TemplateVariables = Record<string, string>;

/** Kinds a message can be rendered for: the rule kinds plus the "send test" message. */
export type MessageKind = NotificationKind | 'test';

const VARIABLES: Record<MessageKind, readonly string[]> = {
  fill: ['symbol', 'side', 'quantity', 'filled', 'price', 'status', 'orderId', 'deployment', 'time'],
  order_rejected: ['symbol', 'side', 'quantity', 'reason', 'orderId', 'deployment', 'time'],
  deployment_state: ['deployment', 'state', 'deploymentId', 'time'],
  circuit_breaker: ['message', 'severity', 'deployment', 'time'],
  kill_switch: ['state', 'scope', 'time'],
  reconciliation: ['message', 'severity', 'time'],
  daily_summary: ['date', 'fills', 'rejections', 'running', 'alerts'],
  test: ['channel', 'time'],
};

export const DEFAULT_TEMPLATES: Record<MessageKind, string> = {
  fill: 'Fill: {{side}} {{filled}} {{symbol}} at {{price}} ({{status}}) {{deployment}}',
  order_rejected: 'Order rejected: {{side}} {{quantity}} {{symbol}}: {{reason}} {{deployment}}',
  deployment_state: 'Deployment {{deployment}} is now {{state}}',
  circuit_breaker: 'Circuit breaker: {{message}}',
  kill_switch: 'Kill switch {{state}} ({{scope}})',
  reconciliation: 'Reconciliation finding: {{message}}',
  daily_summary: 'Daily summary {{date}}: {{fills}} fills, {{rejections}} rejections, {{running}} deployments running, {{alerts}} alerts',
  test: 'Test message from Cryptobot to {{channel}} at {{time}}',
};

const SAMPLES: Record<MessageKind, TemplateVariables> = {
  fill: {
    symbol: 'BTC/USDT',
    side: 'buy',
    quantity: '0.01',
    filled: '0.01',
    price: '64250.5',
    status: 'filled',
    orderId: 'sample',
    deployment: '[Trend BTC]',
    time: '2026-01-01T00:00:00.000Z',
  },
  order_rejected: {
    symbol: 'BTC/USDT',
    side: 'sell',
    quantity: '0.5',
    reason: 'insufficient balance',
    orderId: 'sample',
    deployment: '[Trend BTC]',
    time: '2026-01-01T00:00:00.000Z',
  },
  deployment_state: { deployment: 'Trend BTC', state: 'paused', deploymentId: 'sample', time: '2026-01-01T00:00:00.000Z' },
  circuit_breaker: {
    message: 'daily loss limit reached: deployment paused',
    severity: 'critical',
    deployment: '[Trend BTC]',
    time: '2026-01-01T00:00:00.000Z',
  },
  kill_switch: { state: 'engaged', scope: 'user', time: '2026-01-01T00:00:00.000Z' },
  reconciliation: { message: 'order abc is open on the exchange but unknown here', severity: 'warning', time: '2026-01-01T00:00:00.000Z' },
  daily_summary: { date: '2026-01-01', fills: '12', rejections: '0', running: '3', alerts: '1' },
  test: { channel: 'My channel', time: '2026-01-01T00:00:00.000Z' },
};

export function templateVariables(kind: MessageKind): readonly string[] {
  return VARIABLES[kind];
}

export function sampleVariables(kind: MessageKind): TemplateVariables {
  return SAMPLES[kind];
}

export const TEMPLATE_MAX_LENGTH = 2000;
/** Telegram's limit for one message is 4096 characters, Discord's 2000. */
export const MESSAGE_MAX_LENGTH = 2000;

/** The template with each known `{{name}}` replaced (unknown names are left as written, so a typo shows). */
export function renderTemplate(body: string, variables: TemplateVariables): string {
  const text = body.replace(/\{\{\s*([a-zA-Z]+)\s*\}\}/g, (whole, name: string) => variables[name] ?? whole).trim();
  return text.length > MESSAGE_MAX_LENGTH ? `${text.slice(0, MESSAGE_MAX_LENGTH - 1)}…` : text;
}

/** Placeholders in `body` that `kind` does not have (the editor says so instead of sending "{{typo}}"). */
export function unknownPlaceholders(kind: MessageKind, body: string): string[] {
  const known = new Set(VARIABLES[kind]);
  return [...body.matchAll(/\{\{\s*([a-zA-Z]+)\s*\}\}/g)].map((m) => m[1]!).filter((name) => !known.has(name));
}

export const MESSAGE_KINDS = [...NOTIFICATION_KINDS, 'test'] as const satisfies readonly MessageKind[];
