import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTimeZone } from '@/server/services/auth/account';
import { registerUser } from '@/server/services/auth/users';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { routerCaller } from '@/server/testing/trpc';
import { accountRouter } from './account';

const callerFor = routerCaller({ account: accountRouter });
let t: TestDatabase;
let userId: string;

function caller() {
  return callerFor(t.db, userId, { authMethod: 'session' });
}

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'tz-user', password: 'long enough pw' })).id;
});
afterAll(() => t.destroy());

describe('account.setTimeZone', () => {
  it('shows times in UTC until the user picks their local zone, and stores the pick per user', async () => {
    expect(await getTimeZone(t.db, userId), 'UTC by default').toBe('UTC');
    const api = await caller();
    expect(await api.account.setTimeZone({ timeZone: 'Europe/Berlin' })).toEqual({ timeZone: 'Europe/Berlin' });
    expect(await getTimeZone(t.db, userId)).toBe('Europe/Berlin');
    expect(await api.account.setTimeZone({ timeZone: 'UTC' })).toEqual({ timeZone: 'UTC' });
    expect(await getTimeZone(t.db, userId)).toBe('UTC');
  });

  it('refuses a zone that is not UTC or an IANA zone, naming the field', async () => {
    const api = await caller();
    for (const timeZone of ['Mars/Olympus', '', 'x'.repeat(100)]) {
      const error = await api.account.setTimeZone({ timeZone }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, timeZone).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('BAD_REQUEST');
      expect((error as TRPCError).message).toContain('timeZone');
    }
    expect(await getTimeZone(t.db, userId), 'unchanged').toBe('UTC');
  });
});
