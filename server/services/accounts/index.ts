export * from './accounts';
export * from './exchanges';
export * from './rotate';
export * from './views';
