import { NextResponse, type NextRequest } from 'next/server';

/** The request header that tells the signed-in layout which page was asked for (app/(app)/layout.tsx). */
export const REQUEST_PATH_HEADER = 'x-cryptobot-path';

/**
 * Pages only: passes the requested path and query on, so a signed-out visit to a deep link can send the
 * browser to the login page with it as the callbackUrl, and back after the sign-in. A client can set this
 * header too; the login page accepts same-origin paths only (components/auth/callback-url.ts).
 */
export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set(REQUEST_PATH_HEADER, request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ['/((?!api/|_next/|favicon|.*\\.(?:svg|ico|png)$).*)'] };
