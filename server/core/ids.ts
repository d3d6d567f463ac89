/**
 * The one id check. Every row id is a UUID (PostgreSQL gen_random_uuid()); an id from a request that is not one
 * cannot name a row, so services answer it as "not found" (or a field error) without asking the database, where
 * a malformed uuid would be an error, not an empty result.
 */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}
