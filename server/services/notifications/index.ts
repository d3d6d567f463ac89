export * from './channels';
export * from './delivery';
export * from './views';
export { notificationKindOf } from './kinds';
export { webhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, IDEMPOTENCY_HEADER } from './senders';
