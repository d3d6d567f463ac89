export * from './strategy-machine';
export * from './portfolio-machine';
