/** Size limits of candle ingestion (pure constants: the shared zod schemas and the pages import them). */

/** Most candles one API request may carry; larger sets go in several requests, or as a file. */
export const MAX_CANDLES_PER_REQUEST = 50_000;
/** Largest candle file accepted (characters of text), by upload or CLI. */
export const MAX_FILE_CHARS = 64 * 1024 * 1024;
