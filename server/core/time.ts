/**
 * The one time parser. ISO 8601 times: `2024-01-31`, `2024-01-31T09:30`, `…:15`, `…:15.250`, each optionally
 * followed by `Z` or an offset (`+02:00`, `-0500`). A date-time WITHOUT a zone is UTC, like a plain date: the app's
 * convention everywhere (stored times and candle times are UTC), never the server's local time, which differs
 * between machines. From users (REST, tRPC, forms) anything else (`2024-01-31 09:30`, `Jan 31 2024`, which
 * `Date.parse` would read in local time) is refused: NaN. Candle files (`{ file: true }`) may also separate the
 * date and the time with a space, put spaces before the zone and write `z`: the same rules, UTC without a zone.
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const FILE_ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** ms since epoch (UTC) of an ISO 8601 date or date-time (no zone = UTC), or NaN when it is not one. */
export function parseIsoTimeUtc(text: string, options: { file?: boolean } = {}): number {
  const m = (options.file ? FILE_ISO_TIME : ISO_TIME).exec(text.trim());
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 2024-02-30 over into March: a day the month does not have is refused instead.
  if (new Date(local).getUTCDate() !== day) return NaN;
  const zone = m[8];
  if (!zone || zone.toUpperCase() === 'Z') return local;
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  const offsetMinutes = Number(offset[2]) * 60 + Number(offset[3]);
  if (Number(offset[2]) > 23 || Number(offset[3]) > 59) return NaN;
  return local - (offset[1] === '+' ? 1 : -1) * offsetMinutes * 60_000;
}

/** The latest time accepted: 8.64e15 ms, the end of JavaScript's Date range. */
const MAX_TIME_MS = 8.64e15;

/**
 * A time given by a user as ms since epoch (a number or a string of digits) or as ISO 8601 (above): ms since epoch,
 * or NaN when it is neither, negative, fractional or beyond the Date range.
 */
export function parseTimeInput(value: string | number): number {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (/^\d+$/.test(value.trim())) ms = Number(value.trim());
  else ms = parseIsoTimeUtc(value);
  return Number.isSafeInteger(ms) && ms >= 0 && ms <= MAX_TIME_MS ? ms : NaN;
}

/** ms since epoch → its ISO 8601 text in UTC (`2024-01-31T09:30:00.000Z`), the one way times leave as text. */
export function msToIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Whether `zone` is an IANA time zone this runtime knows ("UTC", "Europe/Berlin"); a user's display zone must be one. */
export function isValidTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
