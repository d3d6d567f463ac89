import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, auditEvents, users } from '@/db/schema';
import { issueTokenPair, refreshTokenPair, verifyAccessToken } from '@/server/services/auth/tokens';
import { findUserById, registerUser, type PublicUser } from '@/server/services/auth/users';
import { codeOf } from '@/server/testing/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { DAY_MS, type KeysConfig } from './config';
import { parseKey } from './format';
import { authenticateApiKey, autoRotateDueKeys, createKey, listKeys, revokeEverything, revokeKey, rotateKey, rotationHeaders } from './keys';

const config: KeysConfig = { graceMs: 7 * DAY_MS, autoRotateLeadMs: 14 * DAY_MS, masterKey: randomBytes(32) };
const tokenConfig = { secret: 's'.repeat(48), refreshTokenTtlDays: 30 };

/** A clock the test moves by hand. */
function manualClock(start = new Date('2030-01-01T00:00:00Z')) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => (now += ms), set: (d: Date) => (now = d.getTime()) };
}

let t: TestDatabase;
let admin: PublicUser;
let alice: PublicUser;
let bob: PublicUser;
beforeAll(async () => {
  t = await createTestDatabase();
  admin = await registerUser(t.db, { username: 'keys-admin', password: 'long enough pw' });
  alice = await registerUser(t.db, { username: 'keys-alice', password: 'long enough pw' });
  bob = await registerUser(t.db, { username: 'keys-bob', password: 'long enough pw' });
});
afterAll(() => t.destroy());

const actor = (u: PublicUser) => ({ id: u.id, role: u.role, scopes: u.role === 'admin' ? (['read', 'trade', 'admin'] as const) : (['read', 'trade'] as const) });

async function works(key: string, clock: { now: () => Date }): Promise<boolean> {
  return (await authenticateApiKey(t.db, key, clock)).ok;
}

describe('key lifecycle under a controllable clock', () => {
  it('create, use, rotate, both keys during grace, the old one refused after grace, revoke', async () => {
    const clock = manualClock();
    const created = await createKey(t.db, actor(alice), { name: 'bot', scopes: ['read'] }, clock);
    expect(created.key, 'cb_<16 id>_<32 secret><6 checksum>').toMatch(/^cb_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/);
    expect(created.expiresAt.getTime() - clock.now().getTime(), 'the default lifetime is 90 days').toBe(90 * DAY_MS);
    expect(created.state).toBe('active');

    const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(JSON.stringify(row), 'the stored row holds no part of the secret').not.toContain(created.key.slice(20, 52));

    const used = await authenticateApiKey(t.db, created.key, clock);
    expect(used.ok && used.principal.user.id, 'the key authenticates its owner').toBe(alice.id);
    expect(used.ok && used.principal.key.scopes).toEqual(['read']);
    expect((await listKeys(t.db, alice.id, clock))[0]!.lastUsedAt?.getTime(), 'use is recorded').toBe(clock.now().getTime());

    clock.advance(DAY_MS);
    const successor = await rotateKey(t.db, alice.id, created.id, config, clock);
    expect(successor.key, 'the successor is a different key').not.toBe(created.key);
    expect(successor.predecessorId).toBe(created.id);
    expect(successor.expiresAt.getTime() - clock.now().getTime(), 'the successor lives as long as its predecessor was issued for').toBe(90 * DAY_MS);
    expect(await codeOf(rotateKey(t.db, alice.id, created.id, config, clock)), 'a key is rotated once; its successor is shown once').toBe('CONFLICT');

    clock.advance(6 * DAY_MS);
    expect(await works(created.key, clock), 'the old key works through the grace period').toBe(true);
    expect(await works(successor.key, clock), 'and so does its successor').toBe(true);
    const inGrace = await authenticateApiKey(t.db, created.key, clock);
    expect(inGrace.ok && rotationHeaders(inGrace.principal.key)['Cryptobot-Key-Rotation'], 'responses tell the old key it was rotated').toBe('rotated');
    const graceUses = await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'key.used_during_grace'));
    expect(graceUses.length, 'a use during grace is recorded (at most hourly)').toBe(1);

    clock.advance(DAY_MS);
    const after = await authenticateApiKey(t.db, created.key, clock);
    expect(after.ok, 'the old key stops when the grace period ends').toBe(false);
    expect(!after.ok && after.message).toMatch(/grace period is over/);
    expect(await works(successor.key, clock)).toBe(true);

    await revokeKey(t.db, alice.id, successor.id, clock);
    expect(await works(successor.key, clock), 'a revoked key stops at once').toBe(false);
    const states = Object.fromEntries((await listKeys(t.db, alice.id, clock)).map((k) => [k.id, k.state]));
    expect(states).toMatchObject({ [created.id]: 'retired', [successor.id]: 'revoked' });
  });

  it('grace never extends a key past its own expiry, and an unrotated key stops at expiry', async () => {
    const clock = manualClock();
    const short = await createKey(t.db, actor(alice), { name: 'short', scopes: ['read'], expiresInDays: 3 }, clock);
    const next = await rotateKey(t.db, alice.id, short.id, config, clock);
    const [old] = (await listKeys(t.db, alice.id, clock)).filter((k) => k.id === short.id);
    expect(old!.graceEndsAt!.getTime(), 'grace is capped at the expiry').toBe(short.expiresAt.getTime());
    expect(next.expiresAt.getTime() - clock.now().getTime(), 'the successor gets the same 3-day lifetime').toBe(3 * DAY_MS);

    const plain = await createKey(t.db, actor(alice), { name: 'plain', scopes: ['read'], expiresInDays: 30 }, clock);
    clock.advance(30 * DAY_MS - 1);
    expect(await works(plain.key, clock)).toBe(true);
    clock.advance(1);
    expect(await works(plain.key, clock), 'a key nobody rotated stops at its expiry').toBe(false);
  });

  it('automatic rotation near expiry: a sealed successor, fetched once with the old key, then grace', async () => {
    const clock = manualClock(new Date('2031-01-01T00:00:00Z'));
    const key = await createKey(t.db, actor(bob), { name: 'auto', scopes: ['read', 'trade'], expiresInDays: 60 }, clock);

    clock.advance(45 * DAY_MS);
    expect(await autoRotateDueKeys(t.db, config, clock), 'more than 14 days before expiry: nothing to do').toBe(0);
    clock.advance(DAY_MS + 1);
    expect(await autoRotateDueKeys(t.db, config, clock), 'within 14 days of expiry: a successor is issued').toBe(1);
    expect(await autoRotateDueKeys(t.db, config, clock), 'and only once').toBe(0);

    const [pending] = await t.db.select().from(apiKeys).where(eq(apiKeys.predecessorId, key.id));
    expect(pending!.pendingSecret, 'the waiting secret is stored sealed').toMatch(/^v1:/);
    const check = await authenticateApiKey(t.db, key.key, clock);
    expect(check.ok && rotationHeaders(check.principal.key)['Cryptobot-Key-Rotation'], 'the old key is told a successor waits').toMatch(/^successor-pending/);
    expect(check.ok && check.principal.key.stopsAt.getTime(), 'the old key keeps working until its expiry').toBe(key.expiresAt.getTime());

    const fetched = await rotateKey(t.db, bob.id, key.id, config, { ...clock, via: 'key' });
    expect(fetched.id, 'the waiting successor is handed out, not a new one').toBe(pending!.id);
    expect(parseKey(fetched.key)).not.toBeNull();
    expect(fetched.scopes).toEqual(['read', 'trade']);
    const [erased] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, pending!.id));
    expect(erased!.pendingSecret, 'the sealed secret is erased once fetched').toBeNull();
    expect(await codeOf(rotateKey(t.db, bob.id, key.id, config, clock)), 'it can be fetched only once').toBe('CONFLICT');
    expect(await works(fetched.key, clock)).toBe(true);
    expect(await works(key.key, clock), 'the old key still works during grace').toBe(true);

    clock.advance(7 * DAY_MS);
    expect(await works(key.key, clock), 'grace over (capped at expiry)').toBe(false);
    expect(await works(fetched.key, clock)).toBe(true);
  });

  it('a revoked key takes its unfetched successor with it', async () => {
    const clock = manualClock(new Date('2033-01-01T00:00:00Z'));
    const key = await createKey(t.db, actor(bob), { name: 'revoke-pending', scopes: ['read'], expiresInDays: 10 }, clock);
    clock.advance(6 * DAY_MS);
    await autoRotateDueKeys(t.db, config, clock);
    await revokeKey(t.db, bob.id, key.id, clock);
    const [next] = await t.db.select().from(apiKeys).where(eq(apiKeys.predecessorId, key.id));
    expect(next!.revokedAt, 'nobody holds it, so it goes too').not.toBeNull();
    expect(next!.pendingSecret).toBeNull();
  });
});

describe('key guarantees', () => {
  it('refuses malformed keys and wrong checksums before any database work', async () => {
    const key = (await createKey(t.db, actor(alice), { name: 'fmt', scopes: ['read'] })).key;
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect(parseKey(flipped), 'one changed character breaks the checksum').toBeNull();
    expect(parseKey(key.slice(0, -2)), 'a truncated key is malformed').toBeNull();
    const noDb = { ...t.db, select: () => { throw new Error('the database was queried for a malformed key'); } } as unknown as typeof t.db;
    expect(await authenticateApiKey(noDb, flipped)).toEqual({ ok: false, message: expect.stringMatching(/malformed/) });
    // A well-formed key with a wrong secret (right checksum) is refused after lookup.
    const parsed = parseKey(key)!;
    const { assembleKey } = await import('./format');
    const forged = assembleKey(parsed.keyId, 'x'.repeat(32));
    expect(await authenticateApiKey(t.db, forged)).toEqual({ ok: false, message: 'invalid API key' });
  });

  it('admin scope only for admins; a key cannot mint a more powerful key; 90 days at most', async () => {
    expect(await codeOf(createKey(t.db, actor(alice), { name: 'x', scopes: ['admin'] })), 'a user cannot have an admin key').toBe('FORBIDDEN');
    const adminKey = await createKey(t.db, actor(admin), { name: 'adm', scopes: ['admin'] });
    expect(adminKey.scopes, 'admin implies trade and read').toEqual(['read', 'trade', 'admin']);
    expect(await codeOf(createKey(t.db, { ...actor(alice), scopes: ['read', 'trade'] }, { name: 'y', scopes: ['trade'] }))).toBe('resolved');
    expect(await codeOf(createKey(t.db, { ...actor(admin), scopes: ['read'] }, { name: 'z', scopes: ['trade'] })), 'a read key cannot create a trade key').toBe('FORBIDDEN');
    expect(await codeOf(createKey(t.db, actor(alice), { name: 'long', scopes: ['read'], expiresInDays: 91 }))).toBe('UNPROCESSABLE');
  });

  it('isolation: another user can neither see, rotate nor revoke a key', async () => {
    const key = await createKey(t.db, actor(alice), { name: 'mine', scopes: ['read'] });
    expect(await codeOf(rotateKey(t.db, bob.id, key.id, config))).toBe('NOT_FOUND');
    expect(await codeOf(revokeKey(t.db, bob.id, key.id))).toBe('NOT_FOUND');
    expect((await listKeys(t.db, bob.id)).map((k) => k.id), "bob's list never has alice's keys").not.toContain(key.id);
    expect(await works(key.key, { now: () => new Date() }), 'and her key still works').toBe(true);
  });
});

describe('emergency revocation', () => {
  it("revokes every key and session of the user, and only that user's", async () => {
    const carol = await registerUser(t.db, { username: 'keys-carol', password: 'long enough pw' });
    const dave = await registerUser(t.db, { username: 'keys-dave', password: 'long enough pw' });
    const carolKeys = await Promise.all([1, 2].map((i) => createKey(t.db, actor(carol), { name: `c${i}`, scopes: ['read'] })));
    const daveKey = await createKey(t.db, actor(dave), { name: 'd', scopes: ['read'] });
    const carolUser = (await findUserById(t.db, carol.id))!;
    const pair = await issueTokenPair(t.db, carolUser, tokenConfig);

    const result = await revokeEverything(t.db, carol, { reason: 'laptop stolen' });
    expect(result).toEqual({ revokedKeys: 2, signedOutUsers: 1 });
    for (const k of carolKeys) expect(await works(k.key, { now: () => new Date() }), 'every key of the user stops').toBe(false);
    expect(await verifyAccessToken(t.db, pair.accessToken, tokenConfig), 'access tokens stop (session version moved on)').toBeNull();
    expect(await codeOf(refreshTokenPair(t.db, pair.refreshToken, tokenConfig)), 'refresh tokens stop').toBe('UNAUTHORIZED');
    expect(await works(daveKey.key, { now: () => new Date() }), "another user's key is untouched").toBe(true);
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'key.emergency_revocation'));
    expect(event!.details, 'recorded with its reason').toMatchObject({ reason: 'laptop stolen', revokedKeys: 2 });

    expect(await codeOf(revokeEverything(t.db, dave, { reason: 'x', allUsers: true })), 'only admins may revoke everyone').toBe('FORBIDDEN');
    const versions = await t.db.select({ id: users.id, v: users.sessionVersion }).from(users);
    await revokeEverything(t.db, admin, { reason: 'breach', allUsers: true });
    const after = await t.db.select({ id: users.id, v: users.sessionVersion }).from(users);
    for (const u of versions) expect(after.find((a) => a.id === u.id)!.v, 'every account is signed out').toBe(u.v + 1);
    expect(await works(daveKey.key, { now: () => new Date() }), "an admin's all-users revocation reaches everyone").toBe(false);
  });
});
