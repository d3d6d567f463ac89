import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, invites, users } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { codeOf } from '@/server/testing/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createInvite, listInvites, revokeInvite } from './invites';
import { registerUser, type PublicUser } from './users';

/** Registration modes and invites at the service level, on a database that starts empty. */
let t: TestDatabase;
let admin: PublicUser;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

const pw = 'long enough pw';
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => e as AppError,
  );

describe('registration modes', () => {
  it('lets the first account register in closed mode, as the admin; then closed refuses everyone with a clear message', async () => {
    admin = await registerUser(t.db, { username: 'first-admin', password: pw }, { mode: 'closed' });
    expect(admin.role, 'the first account on an empty database').toBe('admin');
    const refused = await errorOf(registerUser(t.db, { username: 'second', password: pw }, { mode: 'closed' }));
    expect(refused?.code).toBe('FORBIDDEN');
    expect(refused?.message).toMatch(/registration is closed/);
    const issued = await createInvite(t.db, admin, { expiresInHours: 1 });
    expect(
      await codeOf(registerUser(t.db, { username: 'second', password: pw, inviteCode: issued.code }, { mode: 'closed' })),
      'closed means closed, invites included',
    ).toBe('FORBIDDEN');
    expect((await t.db.select().from(users)).length).toBe(1);
  });

  it('in invite mode refuses a registration without a code, naming the field, and one with a bad code', async () => {
    const missing = await errorOf(registerUser(t.db, { username: 'no-code', password: pw }, { mode: 'invite' }));
    expect(missing?.code).toBe('FORBIDDEN');
    expect(missing?.message).toMatch(/needs an invite/);
    expect(missing?.details?.fields).toEqual([{ field: 'inviteCode', message: 'is required on this server' }]);
    const bad = await errorOf(registerUser(t.db, { username: 'bad-code', password: pw, inviteCode: 'not-a-real-code' }, { mode: 'invite' }));
    expect(bad?.code).toBe('UNPROCESSABLE');
    expect(bad?.details?.fields?.[0]?.field).toBe('inviteCode');
  });

  it('in invite mode registers with a code once; the second use is refused; the use is audited', async () => {
    const issued = await createInvite(t.db, admin, { expiresInHours: 24, note: 'for carol' });
    expect(issued.path).toBe(`/register?invite=${issued.code}`);
    const [stored] = await t.db.select().from(invites).where(eq(invites.id, issued.id));
    expect(JSON.stringify(stored), 'only a hash of the code is stored').not.toContain(issued.code);
    const carol = await registerUser(t.db, { username: 'carol', password: pw, inviteCode: issued.code }, { mode: 'invite' });
    expect(carol.role).toBe('user');
    expect(await codeOf(registerUser(t.db, { username: 'carol-again', password: pw, inviteCode: issued.code }, { mode: 'invite' })), 'single use').toBe(
      'UNPROCESSABLE',
    );
    const used = await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'invite.used'));
    expect(used.map((e) => [e.userId, e.details.inviteId])).toEqual([[carol.id, issued.id]]);
  });

  it('lets exactly one of many registrations racing for one code win', async () => {
    const issued = await createInvite(t.db, admin, { expiresInHours: 1 });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => codeOf(registerUser(t.db, { username: `racer-${i}`, password: pw, inviteCode: issued.code }, { mode: 'invite' }))),
    );
    expect(results.filter((r) => r === 'resolved').length, 'one winner').toBe(1);
    expect(results.filter((r) => r === 'UNPROCESSABLE').length, 'the others are told the code is used').toBe(5);
    const racers = (await t.db.select().from(users)).filter((u) => u.username.startsWith('racer-'));
    expect(racers.length, 'no half-registered losers').toBe(1);
  });

  it('refuses an expired or revoked code, and lists every state', async () => {
    const start = new Date(Date.now() - 2 * 3_600_000); // created two hours ago, valid for one
    const expiring = await createInvite(t.db, admin, { expiresInHours: 1 }, { now: () => start });
    const revoked = await createInvite(t.db, admin, { expiresInHours: 1 });
    await revokeInvite(t.db, admin, revoked.id);
    expect(await codeOf(registerUser(t.db, { username: 'late', password: pw, inviteCode: expiring.code }, { mode: 'invite' })), 'expired').toBe(
      'UNPROCESSABLE',
    );
    expect(await codeOf(registerUser(t.db, { username: 'revoked', password: pw, inviteCode: revoked.code }, { mode: 'invite' })), 'revoked').toBe(
      'UNPROCESSABLE',
    );
    const active = await createInvite(t.db, admin, { expiresInHours: 1 });
    const states = new Map((await listInvites(t.db)).map((i) => [i.id, i.state]));
    expect([states.get(expiring.id), states.get(revoked.id), states.get(active.id)]).toEqual(['expired', 'revoked', 'active']);
    expect([...states.values()]).toContain('used');
    expect((await listInvites(t.db)).find((i) => i.state === 'used')?.usedBy, 'who used it').toBeTruthy();
    const revokedAudit = await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'invite.revoked'));
    expect(revokedAudit.map((e) => e.details.inviteId)).toEqual([revoked.id]);
  });

  it('refuses to revoke a used invite, and rejects an expiry out of range', async () => {
    const issued = await createInvite(t.db, admin, { expiresInHours: 1 });
    await registerUser(t.db, { username: 'dave', password: pw, inviteCode: issued.code }, { mode: 'invite' });
    expect(await codeOf(revokeInvite(t.db, admin, issued.id))).toBe('CONFLICT');
    expect(await codeOf(createInvite(t.db, admin, { expiresInHours: 0 }))).toBe('UNPROCESSABLE');
    expect(await codeOf(createInvite(t.db, admin, { expiresInHours: 721 }))).toBe('UNPROCESSABLE');
  });

  it('in open mode registers without a code, and still refuses a used one that is presented', async () => {
    await registerUser(t.db, { username: 'open-user', password: pw }, { mode: 'open' });
    const issued = await createInvite(t.db, admin, { expiresInHours: 1 });
    await registerUser(t.db, { username: 'open-invited', password: pw, inviteCode: issued.code }, { mode: 'open' });
    expect(await codeOf(registerUser(t.db, { username: 'open-reuse', password: pw, inviteCode: issued.code }, { mode: 'open' }))).toBe('UNPROCESSABLE');
  });
});
