/**
 * Headers that announce a deprecated REST route or field (docs/api.md, "Stability"): `Deprecation` (RFC 9745,
 * the moment it was deprecated as `@<epoch seconds>`), `Sunset` (RFC 8594, an HTTP date no earlier than
 * six months later, after which it may go) and a `Link` to what replaces it.
 *
 *   // GET /api/v1/old-thing – deprecated 2027-01-01, gone after 2027-07-01: use /api/v1/new-thing
 *   export const GET = withUser(async (ctx) =>
 *     withDeprecation(reply(ZThing, await thing(ctx)), { since: new Date('2027-01-01Z'), sunset: new Date('2027-07-01Z'), link: '/api/v1/new-thing' }),
 *   );
 */

/** The shortest notice a v1 deprecation gives before its sunset. */
export const MIN_SUNSET_NOTICE_DAYS = 180;

export interface Deprecation {
  /** When it was deprecated. */
  since: Date;
  /** When it may stop working: at least MIN_SUNSET_NOTICE_DAYS after `since`. */
  sunset: Date;
  /** What replaces it: a path or a URL (documentation or the successor route). */
  link?: string;
}

/** The headers of a deprecation; refuses a sunset sooner than the policy's notice (a programming error). */
export function deprecationHeaders({ since, sunset, link }: Deprecation): Record<string, string> {
  if (!Number.isFinite(since.getTime()) || !Number.isFinite(sunset.getTime())) throw new Error('deprecation: since and sunset must be valid dates');
  const noticeDays = (sunset.getTime() - since.getTime()) / 86_400_000;
  if (noticeDays < MIN_SUNSET_NOTICE_DAYS)
    throw new Error(`deprecation: the sunset must be at least ${MIN_SUNSET_NOTICE_DAYS} days after the deprecation (got ${Math.floor(noticeDays)})`);
  return {
    Deprecation: `@${Math.floor(since.getTime() / 1000)}`,
    Sunset: sunset.toUTCString(),
    ...(link ? { Link: `<${link}>; rel="deprecation"` } : {}),
  };
}

/** The response with the deprecation headers set (copied when its headers are immutable). */
export function withDeprecation(response: Response, deprecation: Deprecation): Response {
  const headers = deprecationHeaders(deprecation);
  try {
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
    return copy;
  }
}
