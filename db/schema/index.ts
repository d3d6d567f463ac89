export * from './users';
export * from './system';
export * from './jobs';
export * from './market';
