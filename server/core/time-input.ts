import { z } from 'zod';
import { parseTimeInput } from './time';
import { safeText } from './text';

const DEFAULT_MESSAGE = 'must be an ISO 8601 time (no zone = UTC, e.g. 2024-01-01T00:00:00Z) or epoch milliseconds';

/**
 * A time in a request (docs/api.md, "Types"): ISO 8601 (a date, or a date-time; no zone = UTC) or epoch
 * milliseconds as a JSON number or a string of digits (query strings carry text); out: ms since epoch.
 * The one parser is `parseTimeInput`; `max` narrows the range (a backtest's end before 2100, say).
 */
export function zTimeInput(options: { max?: number; message?: string } = {}) {
  const message = options.message ?? DEFAULT_MESSAGE;
  return z.union([z.number({ error: message }), safeText({ error: message }).max(40, { error: message })], { error: message }).transform((value, ctx) => {
    const ms = parseTimeInput(value);
    if (Number.isNaN(ms) || (options.max !== undefined && ms > options.max)) {
      ctx.addIssue({ code: 'custom', message, input: value });
      return z.NEVER;
    }
    return ms;
  });
}
