export * from './errors';
export * from './decimal';
export * from './zod';
