/**
 * ISO 8601 times from users (REST, tRPC, forms): `2024-01-31`, `2024-01-31T09:30`, `…:15`, `…:15.250`,
 * each optionally followed by `Z` or an offset (`+02:00`, `-0500`). A date-time WITHOUT a zone is UTC,
 * like a plain date: the app's convention everywhere (stored times and candle times are UTC), never the
 * server's local time, which differs between machines. Anything else (`2024-01-31 09:30`, `Jan 31 2024`,
 * which `Date.parse` would read in local time) is refused: NaN.
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** ms since epoch (UTC) of an ISO 8601 date or date-time (no zone = UTC), or NaN when it is not one. */
export function parseIsoTimeUtc(text: string): number {
  const m = ISO_TIME.exec(text.trim());
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 2024-02-30 over into March: a day the month does not have is refused instead.
  if (new Date(local).getUTCDate() !== day) return NaN;
  const zone = m[8];
  if (!zone || zone === 'Z') return local;
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  const offsetMinutes = Number(offset[2]) * 60 + Number(offset[3]);
  if (Number(offset[2]) > 23 || Number(offset[3]) > 59) return NaN;
  return local - (offset[1] === '+' ? 1 : -1) * offsetMinutes * 60_000;
}
