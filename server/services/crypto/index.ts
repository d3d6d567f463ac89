export * from './credentials';
export * from './keyring';
