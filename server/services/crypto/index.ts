export * from './credentials';
export * from './keyring';
export * from './sealed-json';
