/**
 * Where a sign-in returns to: a path on this site only. Anything else (an absolute URL, a protocol-relative
 * "//host", "/\host" which browsers read as "//host", control characters) would be an open redirect, so it
 * becomes "/".
 */
export function safeCallbackPath(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  try {
    const url = new URL(value, 'http://same.origin');
    if (url.origin !== 'http://same.origin') return '/';
    return url.pathname + url.search + url.hash;
  } catch {
    return '/';
  }
}

/** The login page, with the page to come back to (nothing when that is the dashboard or the login page itself). */
export function loginHref(requestedPath: string | null | undefined): string {
  const path = safeCallbackPath(requestedPath);
  return path === '/' || path.startsWith('/login') ? '/login' : `/login?callbackUrl=${encodeURIComponent(path)}`;
}
