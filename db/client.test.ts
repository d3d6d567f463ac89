import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAppError } from '@/server/api/errors';
import { ConfigError, parseEnv } from '@/server/env';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createDatabase, PoolNestingError, PoolTimeoutError } from './client';
import { databaseUnavailableReason } from './errors';
import { DatabaseConfigError, databaseSettingsFromEnv } from './settings';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
}, 60_000);
afterAll(() => t?.destroy());

/** A promise and its resolver, to hold a transaction open until the test says so. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('the pool', () => {
  it('every connection carries the three timeouts', async () => {
    const database = createDatabase(t.url, { max: 1, statementTimeoutMs: 1234, lockTimeoutMs: 567, idleInTransactionTimeoutMs: 8901 });
    try {
      const [row] = await database.db.execute<Record<string, string>>(
        sql`select current_setting('statement_timeout') as s, current_setting('lock_timeout') as l, current_setting('idle_in_transaction_session_timeout') as i`,
      );
      expect(row).toEqual({ s: '1234ms', l: '567ms', i: '8901ms' });
    } finally {
      await database.close();
    }
  });

  it('a transaction that finds no free connection in time fails with PoolTimeoutError (a 503), while plain queries still answer', async () => {
    const database = createDatabase(t.url, { max: 2, poolTimeoutMs: 200 });
    const held = gate();
    try {
      // One of the two connections is the transactions' (max − 1): hold it.
      const first = database.db.transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        await held.wait;
      });
      const second = database.db.transaction(async (tx) => tx.execute(sql`select 2`));
      await expect(second, 'the second transaction waits at most poolTimeoutMs').rejects.toBeInstanceOf(PoolTimeoutError);
      const [health] = await database.db.execute<{ ok: number }>(sql`select 1 as ok`);
      expect(health, 'the spare connection serves plain queries meanwhile').toEqual({ ok: 1 });
      const { appError } = toAppError(await second.catch((e: unknown) => e));
      expect(appError?.code).toBe('UNAVAILABLE');
      expect(appError?.details?.retryAfterSeconds).toBeGreaterThan(0);
      held.open();
      await first;
      await expect(
        database.db.transaction(async (tx) => tx.execute(sql`select 3`)),
        'free again',
      ).resolves.toBeDefined();
    } finally {
      held.open();
      await database.close();
    }
  });

  it('a query or transaction on the pool from inside a transaction is refused (PoolNestingError)', async () => {
    const database = createDatabase(t.url, { max: 3, onNestedUse: 'throw' });
    try {
      // drizzle wraps what the driver throws for a query (its cause), not for a transaction.
      const query = await database.db.transaction(async () => database.db.execute(sql`select 1`)).catch((e: Error) => e);
      expect((query as Error).cause ?? query).toBeInstanceOf(PoolNestingError);
      await expect(database.db.transaction(async () => database.db.transaction(async (tx) => tx.execute(sql`select 1`)))).rejects.toBeInstanceOf(
        PoolNestingError,
      );
      // The transaction's own handle, and the pool outside any transaction, are fine.
      await expect(database.db.transaction(async (tx) => tx.execute(sql`select 1`))).resolves.toBeDefined();
      await expect(database.db.execute(sql`select 1`)).resolves.toBeDefined();
    } finally {
      await database.close();
    }
  });

  it('a lock held elsewhere ends in lock_timeout (a 503 with Retry-After), not a wait without end', async () => {
    const database = createDatabase(t.url, { max: 2, lockTimeoutMs: 100 });
    const held = gate();
    const locked = gate();
    await t.db.execute(sql`create table if not exists lock_probe (id int primary key)`);
    await t.db.execute(sql`insert into lock_probe values (1) on conflict do nothing`);
    const holder = t.db.transaction(async (tx) => {
      await tx.execute(sql`select * from lock_probe where id = 1 for update`);
      locked.open();
      await held.wait;
    });
    try {
      await locked.wait;
      const error = await database.db.execute(sql`update lock_probe set id = 1 where id = 1`).catch((e: unknown) => e);
      expect(databaseUnavailableReason(error)).toBe('lock_timeout');
      const { appError } = toAppError(error);
      expect([appError?.code, appError?.details?.retryAfterSeconds]).toEqual(['UNAVAILABLE', 1]);
    } finally {
      held.open();
      await holder;
      await database.close();
    }
  });

  it('maps every "not now" database failure to 503 with Retry-After, also wrapped as drizzle wraps them', () => {
    for (const code of ['57014', '55P03', '40P01', '40001', '25P03', '53300']) {
      const driverError = Object.assign(new Error(`postgres says ${code}`), { code });
      for (const error of [driverError, Object.assign(new Error('Failed query: ...'), { cause: driverError })]) {
        const { appError } = toAppError(error);
        expect(appError?.code, code).toBe('UNAVAILABLE');
        expect(appError?.details?.retryAfterSeconds, code).toBeGreaterThan(0);
        expect(appError?.message, 'says to try again').toMatch(/try again/);
      }
    }
    expect(toAppError(new PoolTimeoutError(5000)).appError?.code).toBe('UNAVAILABLE');
    expect(toAppError(Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED', errno: 'CONNECTION_CLOSED' })).appError?.code).toBe(
      'UNAVAILABLE',
    );
    expect(toAppError(Object.assign(new Error('unique'), { code: '23505' })).appError, 'other database errors stay unexpected').toBeNull();
  });
});

describe('database settings from the environment', () => {
  it('defaults, and each bad value refused naming its variable', () => {
    expect(databaseSettingsFromEnv({})).toEqual({
      poolSize: 10,
      statementTimeoutMs: 30_000,
      lockTimeoutMs: 5_000,
      idleInTransactionTimeoutMs: 15_000,
      poolTimeoutMs: 5_000,
    });
    expect(databaseSettingsFromEnv({ DATABASE_LOCK_TIMEOUT_MS: '250', DATABASE_POOL_SIZE: '' }).lockTimeoutMs).toBe(250);
    for (const [name, value] of [
      ['DATABASE_STATEMENT_TIMEOUT_MS', 'soon'],
      ['DATABASE_LOCK_TIMEOUT_MS', '0'],
      ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', '1.5'],
      ['DATABASE_POOL_TIMEOUT_MS', '-1'],
      ['DATABASE_POOL_SIZE', '1000'],
    ] as const) {
      let error: unknown;
      try {
        databaseSettingsFromEnv({ [name]: value });
      } catch (e) {
        error = e;
      }
      expect(error, `${name}=${value}`).toBeInstanceOf(DatabaseConfigError);
      expect((error as DatabaseConfigError).problems.join(' '), 'names the variable').toContain(name);
    }
  });

  it('npm start (server/env.ts) reports a bad database variable by name with the rest of the configuration', () => {
    const valid = { DATABASE_URL: 'postgres://u@h/db', NEXTAUTH_SECRET: 'x'.repeat(32), CRYPTOBOT_MASTER_KEY: Buffer.alloc(32).toString('base64') };
    expect(parseEnv(valid).DATABASE_LOCK_TIMEOUT_MS).toBe(5_000);
    expect(() => parseEnv({ ...valid, DATABASE_POOL_TIMEOUT_MS: 'never' })).toThrow(ConfigError);
    expect(() => parseEnv({ ...valid, DATABASE_POOL_TIMEOUT_MS: 'never' })).toThrow(/DATABASE_POOL_TIMEOUT_MS must be a whole number of milliseconds/);
  });
});
