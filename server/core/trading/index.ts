export * from './strategy-machine';
