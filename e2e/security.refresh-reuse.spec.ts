import { expect, test } from './contract';
import { bearer } from './keys-helpers';
import { registerAndToken } from './helpers';

/**
 * A refresh token sent many times at once (a replay racing its owner): one presenter wins, every other
 * is 401, and afterwards nothing of the family works, neither the winner's refresh token nor any access
 * token issued in it (server/services/auth/tokens.ts refreshTokenPair; docs/security.md).
 */
for (const burst of [10, 50]) {
  test(`${burst} simultaneous refreshes of one token over REST, 3 rounds: nothing of the family survives`, async ({ playwright, baseURL }) => {
    for (let round = 0; round < 3; round++) {
      // A fresh context (and sockets) per round: an idle keep-alive socket the server already closed would
      // be reused by the burst and fail with ECONNRESET, which says nothing about the app.
      const request = await playwright.request.newContext({ baseURL });
      const pair = await registerAndToken(request, `reuse${burst}`);
      const responses = await Promise.all(
        Array.from({ length: burst }, () => request.post('/api/v1/auth/refresh', { data: { refreshToken: pair.refreshToken } })),
      );
      const statuses = responses.map((r) => r.status());
      expect(statuses.filter((s) => s === 200).length, `round ${round}: one presenter wins (${statuses.join(',')})`).toBe(1);
      expect(
        statuses.filter((s) => s !== 200 && s !== 401),
        `round ${round}: the others are 401, never 5xx`,
      ).toEqual([]);
      const issued = await Promise.all(
        responses.filter((r) => r.status() === 200).map((r) => r.json() as Promise<{ accessToken: string; refreshToken: string }>),
      );
      for (const p of [pair, ...issued]) {
        expect(
          (await request.post('/api/v1/auth/refresh', { data: { refreshToken: p.refreshToken } })).status(),
          `round ${round}: a refresh token of the family still works`,
        ).toBe(401);
        expect(
          (await request.get('/api/v1/me', { headers: bearer(p.accessToken) })).status(),
          `round ${round}: an access token of the family still works`,
        ).toBe(401);
      }
      await request.dispose();
    }
  });
}
