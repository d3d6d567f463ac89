import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, auditEvents, users } from '@/db/schema';
import { issueTokenPair, refreshTokenPair, verifyAccessToken } from '@/server/services/auth/tokens';
import { findUserById, registerUser, type PublicUser } from '@/server/services/auth/users';
import { AppError } from '@/server/core/errors';
import { codeOf } from '@/server/testing/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { DAY_MS, type KeysConfig } from './config';
import { parseKey } from './format';
import {
  authenticateApiKey,
  autoRotateDueKeys,
  createKey,
  listKeys,
  revokeEverything,
  revokeKey,
  rotateCurrentKey,
  rotateKey,
  rotationHeaders,
  type Actor,
} from './keys';
import type { IssuedKey } from './views';
import type { ApiKeyScope } from './scopes';

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

/** A browser session (or access token) of the user: every scope of its role. */
const actor = (u: PublicUser): Actor => ({
  id: u.id,
  role: u.role,
  scopes: u.role === 'admin' ? ['read', 'trade', 'admin'] : ['read', 'trade'],
  apiKeyId: null,
});

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
    const successor = await rotateKey(t.db, actor(alice), created.id, config, clock);
    expect(successor.key, 'the successor is a different key').not.toBe(created.key);
    expect(successor.predecessorId).toBe(created.id);
    expect(successor.expiresAt.getTime() - clock.now().getTime(), 'the successor lives as long as its predecessor was issued for').toBe(90 * DAY_MS);
    expect(await codeOf(rotateKey(t.db, actor(alice), created.id, config, clock)), 'a key is rotated once; its successor is shown once').toBe('CONFLICT');

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

    await revokeKey(t.db, actor(alice), successor.id, clock);
    expect(await works(successor.key, clock), 'a revoked key stops at once').toBe(false);
    const states = Object.fromEntries((await listKeys(t.db, alice.id, clock)).map((k) => [k.id, k.state]));
    expect(states).toMatchObject({ [created.id]: 'retired', [successor.id]: 'revoked' });
  });

  it('grace never extends a key past its own expiry, and an unrotated key stops at expiry', async () => {
    const clock = manualClock();
    const short = await createKey(t.db, actor(alice), { name: 'short', scopes: ['read'], expiresInDays: 3 }, clock);
    const next = await rotateKey(t.db, actor(alice), short.id, config, clock);
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

    const fetched = await rotateKey(t.db, { ...actor(bob), scopes: key.scopes, apiKeyId: key.id }, key.id, config, clock);
    expect(fetched.id, 'the waiting successor is handed out, not a new one').toBe(pending!.id);
    expect(parseKey(fetched.key)).not.toBeNull();
    expect(fetched.scopes).toEqual(['read', 'trade']);
    const [erased] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, pending!.id));
    expect(erased!.pendingSecret, 'the sealed secret is erased once fetched').toBeNull();
    expect(await codeOf(rotateKey(t.db, actor(bob), key.id, config, clock)), 'it can be fetched only once').toBe('CONFLICT');
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
    await revokeKey(t.db, actor(bob), key.id, clock);
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
    const noDb = {
      ...t.db,
      select: () => {
        throw new Error('the database was queried for a malformed key');
      },
    } as unknown as typeof t.db;
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
    const readKey = await createKey(t.db, actor(admin), { name: 'r', scopes: ['read'] });
    expect(
      await codeOf(createKey(t.db, { ...actor(admin), scopes: ['read'], apiKeyId: readKey.id }, { name: 'z', scopes: ['trade'] })),
      'a read key cannot create a trade key',
    ).toBe('FORBIDDEN');
    expect(await codeOf(createKey(t.db, actor(alice), { name: 'long', scopes: ['read'], expiresInDays: 91 }))).toBe('UNPROCESSABLE');
  });

  it('isolation: another user can neither see, rotate nor revoke a key', async () => {
    const key = await createKey(t.db, actor(alice), { name: 'mine', scopes: ['read'] });
    expect(await codeOf(rotateKey(t.db, actor(bob), key.id, config))).toBe('NOT_FOUND');
    expect(await codeOf(revokeKey(t.db, actor(bob), key.id))).toBe('NOT_FOUND');
    expect(
      (await listKeys(t.db, bob.id)).map((k) => k.id),
      "bob's list never has alice's keys",
    ).not.toContain(key.id);
    expect(await works(key.key, { now: () => new Date() }), 'and her key still works').toBe(true);
  });
});

describe('key management never reaches beyond the calling credential', () => {
  type CallerKind = 'session' | ApiKeyScope;
  type Action = 'create' | 'rotate' | 'rotate self' | 'revoke' | 'revoke all';
  const KINDS: CallerKind[] = ['session', 'read', 'trade', 'admin'];
  const TARGETS: ApiKeyScope[] = ['read', 'trade', 'admin'];

  /** The rule (authorizeKeyManagement), written out: a session or an admin key may do everything; any key may rotate itself; nothing else. */
  const allowed = (kind: CallerKind, action: Action): boolean => kind === 'session' || kind === 'admin' || action === 'rotate self';

  /** A fresh admin account per case, so a revoke-all or a rotation never changes another case's keys. */
  async function adminAccount(kind: CallerKind): Promise<{ caller: Actor; callerKey: IssuedKey | null }> {
    const owner = await registerUser(t.db, { username: `km-${randomBytes(5).toString('hex')}`, password: 'long enough pw' });
    await t.db.update(users).set({ role: 'admin' }).where(eq(users.id, owner.id));
    const session: Actor = { id: owner.id, role: 'admin', scopes: ['read', 'trade', 'admin'], apiKeyId: null };
    if (kind === 'session') return { caller: session, callerKey: null };
    const callerKey = await createKey(t.db, session, { name: `caller ${kind}`, scopes: [kind] });
    const check = await authenticateApiKey(t.db, callerKey.key);
    if (!check.ok) throw new Error(check.message);
    return { caller: { id: owner.id, role: 'admin', scopes: check.principal.key.scopes, apiKeyId: check.principal.key.id }, callerKey };
  }

  for (const kind of KINDS) {
    for (const target of TARGETS) {
      it(`a ${kind === 'session' ? 'session' : `${kind} key`} of an admin account acting on ${target} keys`, async () => {
        const { caller, callerKey } = await adminAccount(kind);
        const session: Actor = { ...caller, scopes: ['read', 'trade', 'admin'], apiKeyId: null };
        const issued: IssuedKey[] = [];
        const attempt = async (action: Action, run: () => Promise<unknown>) => {
          const outcome = await run().then(
            (value) => {
              if (value && typeof value === 'object' && 'key' in value) issued.push(value as IssuedKey);
              return 'resolved';
            },
            (error: unknown) => (error instanceof AppError ? error.code : String(error)),
          );
          expect(outcome, `${kind} → ${action} ${target}`).toBe(allowed(kind, action) ? 'resolved' : 'FORBIDDEN');
        };

        await attempt('create', () => createKey(t.db, caller, { name: 'made', scopes: [target] }));
        const toRotate = await createKey(t.db, session, { name: 'to rotate', scopes: [target] });
        await attempt('rotate', () => rotateKey(t.db, caller, toRotate.id, config));
        const toRevoke = await createKey(t.db, session, { name: 'to revoke', scopes: [target] });
        await attempt('revoke', () => revokeKey(t.db, caller, toRevoke.id));
        expect(await works(toRevoke.key, { now: () => new Date() }), 'a refused revocation changed nothing').toBe(!allowed(kind, 'revoke'));
        if (callerKey) {
          await attempt('rotate self', () => rotateCurrentKey(t.db, caller, config));
          expect(issued.at(-1)?.scopes, 'a key rotates into exactly its own scopes').toEqual(callerKey.scopes);
        }
        await attempt('revoke all', () => revokeEverything(t.db, caller, { reason: 'matrix' }));
        if (!allowed(kind, 'revoke all')) expect(await works(toRotate.key, { now: () => new Date() }), 'a refused revoke-all changed nothing').toBe(true);

        for (const key of issued) {
          expect(
            key.scopes.every((s) => caller.scopes.includes(s)),
            `${kind} received a key with ${key.scopes.join(', ')}`,
          ).toBe(true);
        }
      });
    }
  }

  it('a session never rotates into a scope its role lacks (a demoted admin), yet may revoke that key', async () => {
    const former = await registerUser(t.db, { username: `km-demoted-${randomBytes(3).toString('hex')}`, password: 'long enough pw' });
    await t.db.update(users).set({ role: 'admin' }).where(eq(users.id, former.id));
    const adminKey = await createKey(
      t.db,
      { id: former.id, role: 'admin', scopes: ['read', 'trade', 'admin'], apiKeyId: null },
      { name: 'old admin key', scopes: ['admin'] },
    );
    await t.db.update(users).set({ role: 'user' }).where(eq(users.id, former.id));
    const nowUser: Actor = { id: former.id, role: 'user', scopes: ['read', 'trade'], apiKeyId: null };
    expect(await codeOf(rotateKey(t.db, nowUser, adminKey.id, config)), 'rotating would hand out an admin key').toBe('FORBIDDEN');
    expect(await codeOf(createKey(t.db, nowUser, { name: 'x', scopes: ['admin'] }))).toBe('FORBIDDEN');
    expect((await revokeKey(t.db, nowUser, adminKey.id)).state, 'revoking hands nothing out').toBe('revoked');
  });

  it('a waiting successor is handed out only to a credential holding its scopes', async () => {
    const clock = manualClock(new Date('2034-01-01T00:00:00Z'));
    const owner = await registerUser(t.db, { username: `km-wait-${randomBytes(3).toString('hex')}`, password: 'long enough pw' });
    await t.db.update(users).set({ role: 'admin' }).where(eq(users.id, owner.id));
    const session: Actor = { id: owner.id, role: 'admin', scopes: ['read', 'trade', 'admin'], apiKeyId: null };
    const adminKey = await createKey(t.db, session, { name: 'adm', scopes: ['admin'], expiresInDays: 10 }, clock);
    const tradeKey = await createKey(t.db, session, { name: 'trd', scopes: ['trade'], expiresInDays: 90 }, clock);
    clock.advance(6 * DAY_MS);
    expect(await autoRotateDueKeys(t.db, config, clock), "the admin key's successor waits").toBe(1);
    const asTradeKey: Actor = { ...session, scopes: tradeKey.scopes, apiKeyId: tradeKey.id };
    const stolen = await rotateKey(t.db, asTradeKey, adminKey.id, config, clock).catch((e: AppError) => e);
    expect(stolen instanceof AppError && stolen.code, 'the reported attack: a trade key fetching the admin successor').toBe('FORBIDDEN');
    expect(JSON.stringify(stolen)).not.toMatch(/cb_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}/);
    const [waiting] = await t.db.select().from(apiKeys).where(eq(apiKeys.predecessorId, adminKey.id));
    expect(waiting!.pendingSecret, 'still waiting for its rightful fetcher').not.toBeNull();
    const fetched = await rotateCurrentKey(t.db, { ...session, apiKeyId: adminKey.id }, config, clock);
    expect(fetched.id).toBe(waiting!.id);
  });

  it("another user's key is a 404 whatever the credential, never a 403 that would confirm it exists", async () => {
    const theirs = await createKey(t.db, actor(alice), { name: 'theirs', scopes: ['read'] });
    const bobKey = await createKey(t.db, actor(bob), { name: 'bob trade', scopes: ['trade'] });
    const asBobKey: Actor = { ...actor(bob), scopes: bobKey.scopes, apiKeyId: bobKey.id };
    expect(await codeOf(rotateKey(t.db, asBobKey, theirs.id, config))).toBe('NOT_FOUND');
    expect(await codeOf(revokeKey(t.db, asBobKey, theirs.id))).toBe('NOT_FOUND');
  });

  it('current/rotate needs an API key', async () => {
    expect(await codeOf(rotateCurrentKey(t.db, actor(alice), config))).toBe('BAD_REQUEST');
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

    const result = await revokeEverything(t.db, actor(carol), { reason: 'laptop stolen' });
    expect(result).toEqual({ revokedKeys: 2, signedOutUsers: 1 });
    for (const k of carolKeys) expect(await works(k.key, { now: () => new Date() }), 'every key of the user stops').toBe(false);
    expect(await verifyAccessToken(t.db, pair.accessToken, tokenConfig), 'access tokens stop (session version moved on)').toBeNull();
    expect(await codeOf(refreshTokenPair(t.db, pair.refreshToken, tokenConfig)), 'refresh tokens stop').toBe('UNAUTHORIZED');
    expect(await works(daveKey.key, { now: () => new Date() }), "another user's key is untouched").toBe(true);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.type, 'key.emergency_revocation'), eq(auditEvents.userId, carol.id)));
    expect(event!.details, 'recorded with its reason').toMatchObject({ reason: 'laptop stolen', revokedKeys: 2 });

    expect(await codeOf(revokeEverything(t.db, actor(dave), { reason: 'x', allUsers: true })), 'only admins may revoke everyone').toBe('FORBIDDEN');
    const versions = await t.db.select({ id: users.id, v: users.sessionVersion }).from(users);
    await revokeEverything(t.db, actor(admin), { reason: 'breach', allUsers: true });
    const after = await t.db.select({ id: users.id, v: users.sessionVersion }).from(users);
    for (const u of versions) expect(after.find((a) => a.id === u.id)!.v, 'every account is signed out').toBe(u.v + 1);
    expect(await works(daveKey.key, { now: () => new Date() }), "an admin's all-users revocation reaches everyone").toBe(false);
  });
});
