export * from './equity';
export * from './marks';
export * from './portfolio';
export * from './positions';
export * from './valuation';
export * from './views';
