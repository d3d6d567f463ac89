export * from './accounts';
export * from './exchanges';
export * from './rotate';
