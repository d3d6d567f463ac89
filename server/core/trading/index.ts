export * from './strategy-machine';
export * from './portfolio-machine';
export * from './portfolio-list';
