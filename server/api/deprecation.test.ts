import { describe, expect, it } from 'vitest';
import { deprecationHeaders, withDeprecation } from './deprecation';
import { json } from './rest';

const since = new Date('2027-01-01T00:00:00Z');
const sunset = new Date('2027-07-01T00:00:00Z');

describe('deprecation headers', () => {
  it('says when (RFC 9745 @seconds), until when (RFC 8594 HTTP date) and what replaces it', () => {
    expect(deprecationHeaders({ since, sunset, link: '/api/v1/new-thing' })).toEqual({
      Deprecation: '@1798761600',
      Sunset: 'Thu, 01 Jul 2027 00:00:00 GMT',
      Link: '</api/v1/new-thing>; rel="deprecation"',
    });
    expect(deprecationHeaders({ since, sunset }), 'no Link without a replacement').not.toHaveProperty('Link');
  });

  it('refuses a sunset sooner than six months after the deprecation, the notice the policy promises', () => {
    expect(() => deprecationHeaders({ since, sunset: new Date('2027-03-01T00:00:00Z') })).toThrow(/at least 180 days/);
    expect(() => deprecationHeaders({ since: new Date('nope'), sunset })).toThrow(/valid dates/);
  });

  it('sets them on a REST answer without touching its body or status', async () => {
    const response = withDeprecation(json({ ok: true }, 201), { since, sunset, link: '/docs/api' });
    expect(response.status).toBe(201);
    expect(response.headers.get('deprecation')).toBe('@1798761600');
    expect(response.headers.get('sunset')).toBe('Thu, 01 Jul 2027 00:00:00 GMT');
    expect(response.headers.get('cache-control'), 'the answer’s own headers stay').toBe('no-store');
    expect(await response.json()).toEqual({ ok: true });
    const redirect = withDeprecation(Response.redirect('http://localhost/x', 307), { since, sunset });
    expect(redirect.headers.get('deprecation'), 'immutable headers: a copy carries them').toBe('@1798761600');
  });
});
