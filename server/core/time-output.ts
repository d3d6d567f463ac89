import { z } from 'zod';

/** ISO 8601 in UTC as `Date.prototype.toISOString` prints it (the fraction optional): how every response gives a time. */
export const ISO_UTC_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$';

const TIME_META = { format: 'date-time', pattern: ISO_UTC_PATTERN, example: '2024-01-31T09:30:00.000Z' };

/**
 * A time in a response (docs/api.md, "Types"): ISO 8601 UTC text, e.g. "2024-01-31T09:30:00.000Z". The OpenAPI
 * document states the format and the e2e suite checks every response against it.
 */
export function zTimeOutput(description?: string) {
  return z.string().meta({ ...TIME_META, ...(description ? { description } : {}) });
}

/** A time a service hands over as a Date: JSON.stringify sends it as ISO 8601 UTC (`toJSON`), which the document states. */
export function zDateOutput(description?: string) {
  return z.date().meta({ ...TIME_META, ...(description ? { description } : {}) });
}
