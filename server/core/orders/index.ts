export * from './state-machine';
export * from './client-order-id';
