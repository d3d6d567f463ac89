export * from './orders';
export * from './paper-exchange';
export * from './price-source';
export * from './halt';
export * from './views';
