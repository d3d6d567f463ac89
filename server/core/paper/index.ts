export * from './matching';
export * from './balances';
