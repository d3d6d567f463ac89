import { describe, expect, it } from 'vitest';
import { loginHref, safeCallbackPath } from './callback-url';

describe('sign-in callback URL', () => {
  it('keeps a same-origin path with its query', () => {
    expect(safeCallbackPath('/backtests')).toBe('/backtests');
    expect(safeCallbackPath('/orders?status=open')).toBe('/orders?status=open');
  });

  it('refuses anything that leaves the site', () => {
    for (const hostile of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      '/\t/evil.example',
      '',
      null,
      undefined,
    ])
      expect(safeCallbackPath(hostile), String(hostile)).toBe('/');
  });

  it('the login link carries the requested page, never the dashboard or the login page', () => {
    expect(loginHref('/backtests')).toBe('/login?callbackUrl=%2Fbacktests');
    expect(loginHref('/strategies/new?x=1')).toBe('/login?callbackUrl=%2Fstrategies%2Fnew%3Fx%3D1');
    expect(loginHref('/')).toBe('/login');
    expect(loginHref(null)).toBe('/login');
    expect(loginHref('//evil.example')).toBe('/login');
  });
});
