export * from './keys';
export * from './scopes';
export { keysConfigFromEnv, MAX_KEY_LIFETIME_DAYS, DEFAULT_KEY_LIFETIME_DAYS, type KeysConfig } from './config';
export { looksLikeApiKey, parseKey } from './format';
export * from './views';
