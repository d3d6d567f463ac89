import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { createDatabase, parseDatabaseUrl, PooledListenError, type Database } from '@/db/client';
import { queryRows } from '@/db/raw';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { EVENTS_CHANNEL, parseSequencedEvent, userEventsAfter } from '@/server/services/events';
import { placeOrder, type OrderDeps } from '@/server/services/orders';
import type { PaperPriceSource } from '@/server/services/orders/price-source';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { directDatabaseUrl, envVariable } from '@/server/env';

/**
 * The web app through PgBouncer in transaction mode, as on Vercel with a pooled DATABASE_URL (README, "Vercel"):
 * Debian's pgbouncer on a free port, pool_mode=transaction, two server connections shared by a client pool of
 * five, so every statement may land on a connection another client just used. CI installs pgbouncer (.ci/run);
 * without it this test fails, it never skips.
 */
const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((candidate) => existsSync(candidate));
const TIMEOUTS = { statementTimeoutMs: 4_321, lockTimeoutMs: 250, idleInTransactionTimeoutMs: 9_876 };

let t: TestDatabase;
let bouncer: ChildProcess | undefined;
let dir: string | undefined;
let pooled: Database;
let pooledUrl: string;
let log = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Starts pgbouncer in front of `url`'s server; resolves with the pooled URL once it says it is up. */
async function startPgBouncer(url: string): Promise<string> {
  if (!PGBOUNCER) throw new Error('pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it): the pooled-database test needs it');
  const target = new URL(url);
  const database = target.pathname.slice(1);
  const user = decodeURIComponent(target.username || 'postgres');
  const port = await freePort();
  dir = await mkdtemp(path.join(tmpdir(), 'cryptobot-pgbouncer-'));
  const server = [`host=${target.hostname}`, `port=${target.port || '5432'}`, `dbname=${database}`];
  // A server that asks for a password (the embedded PostgreSQL does; the machine's trusts): pgbouncer logs in with the
  // auth file's password for that user, so it goes there; `user=` pins the server login to it.
  const password = decodeURIComponent(target.password);
  if (password) server.push(`user=${user}`, `password=${password}`);
  await writeFile(path.join(dir, 'userlist.txt'), `"${user}" "${password.replace(/"/g, '""')}"\n`);
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${database} = ${server.join(' ')}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'default_pool_size = 2',
      'max_client_conn = 50',
      // No ignore_startup_parameters: a client that sends session settings at startup is refused, as by hosted poolers.
      '',
    ].join('\n'),
  );
  // pgbouncer refuses to run as root; it reads its files as the user it switches to.
  await chmod(dir, 0o755);
  const asRoot = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  bouncer = spawn(PGBOUNCER, [...asRoot, path.join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const onOutput = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('process up')) resolve();
      if (/FATAL|ERROR/.test(log)) reject(new Error(`pgbouncer did not start:\n${log}`));
    };
    bouncer!.stdout!.on('data', onOutput);
    bouncer!.stderr!.on('data', onOutput);
    bouncer!.once('exit', (code) => reject(new Error(`pgbouncer exited (${code}):\n${log}`)));
  });
  return `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}?pgbouncer=true`;
}

beforeAll(async () => {
  t = await createTestDatabase();
  pooledUrl = await startPgBouncer(t.url);
  pooled = createDatabase(pooledUrl, { max: 5, applicationName: 'cryptobot-pooled-test', ...TIMEOUTS });
}, 60_000);

afterAll(async () => {
  await pooled?.close();
  if (bouncer && bouncer.exitCode === null) {
    const exited = new Promise((resolve) => bouncer!.once('exit', resolve));
    bouncer.kill('SIGTERM');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
  await t?.destroy();
});

// A failure says what pgbouncer said (an authentication or login failure is only readable there).
beforeEach(() => onTestFailed(() => console.error(`pgbouncer log:\n${log}`)));

describe('through PgBouncer in transaction mode', { timeout: 120_000 }, () => {
  it('the pooled URL is recognized and cleaned: pgbouncer=true is not sent to the server', () => {
    expect(parseDatabaseUrl('postgres://u@h:6432/db?pgbouncer=true&sslmode=require')).toEqual({ url: 'postgres://u@h:6432/db?sslmode=require', pooled: true });
    expect(parseDatabaseUrl('postgres://u@h:5432/db')).toEqual({ url: 'postgres://u@h:5432/db', pooled: false });
    expect(pooled.pooled).toBe(true);
    // DIRECT_DATABASE_URL: DATABASE_URL when unset; a pooled one is refused, naming the variable.
    expect(directDatabaseUrl({ DATABASE_URL: 'postgres://u@h:5432/db' })).toBe('postgres://u@h:5432/db');
    expect(directDatabaseUrl({ DATABASE_URL: 'postgres://u@p:6432/db?pgbouncer=true', DIRECT_DATABASE_URL: 'postgres://u@h:5432/db' })).toBe(
      'postgres://u@h:5432/db',
    );
    expect(() =>
      directDatabaseUrl({ DATABASE_URL: 'postgres://u@p:6432/db?pgbouncer=true', DIRECT_DATABASE_URL: 'postgres://u@p:6432/db?pgbouncer=true' }),
    ).toThrow(/DIRECT_DATABASE_URL must be a direct connection/);
    expect(() => directDatabaseUrl({ DATABASE_URL: 'postgres://u@p:6432/db?pgbouncer=true' }), 'a pooled DATABASE_URL needs a direct one').toThrow(
      /DIRECT_DATABASE_URL is required when DATABASE_URL goes through a pooler/,
    );
    expect(() => envVariable('CRYPTOBOT_STREAM_MAX_SECONDS', { CRYPTOBOT_STREAM_MAX_SECONDS: '5 min' })).toThrow(
      /CRYPTOBOT_STREAM_MAX_SECONDS must be a whole number of seconds/,
    );
    expect(envVariable('CRYPTOBOT_STREAM_MAX_SECONDS', {})).toBe(280);
  });

  it('refuses a client that sends session settings at startup (what the pooled mode avoids)', async () => {
    const direct = createDatabase(pooledUrl.replace('?pgbouncer=true', ''), { max: 1, applicationName: 'cryptobot-unpooled' });
    try {
      await expect(queryRows(direct.db, 'select 1', [])).rejects.toThrow(/unsupported startup parameter|statement_timeout/);
    } finally {
      await direct.close();
    }
  });

  it('serves the web app: register, create a strategy, a concurrent burst of paper orders; LISTEN on the direct URL hears every event', async () => {
    // LISTEN through the pooler would stop hearing when its transaction ends: refused, and done on the direct URL.
    await expect(pooled.sql.listen(EVENTS_CHANNEL, () => {})).rejects.toBeInstanceOf(PooledListenError);
    const heard: Array<{ seq: number | null; orderId: string }> = [];
    const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => {
      const item = parseSequencedEvent(payload);
      if (item?.event.kind === 'order') heard.push({ seq: item.seq, orderId: item.event.orderId });
    });
    try {
      const db = pooled.db;
      const user = await registerUser(db, { username: 'pooled-trader', password: 'long enough pw' });
      const strategy = await createStrategyForUser(db, user.id, {
        name: 'pooled dca',
        type: 'dca',
        params: { intervalBars: 1, amountPerBuy: 10 },
        exchange: 'binance',
        symbol: 'BTC/USDT',
        timeframe: '1h',
      });
      expect(strategy.name).toBe('pooled dca');
      const feed: PaperPriceSource = { latest: async () => ({ price: 100, timeMs: Date.now(), source: 'test feed' }), candlesSince: async () => [] };
      const deps: OrderDeps = { prices: () => feed };
      const account = await createAccount(
        db,
        user.id,
        { name: 'pooled paper', exchange: 'paper', balances: { USDT: '100000' }, feeRate: '0.001', slippage: '0' },
        {},
        deps,
      );
      // More orders than client connections, more client connections than server connections.
      const placed = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          placeOrder(
            db,
            user.id,
            {
              accountId: account.id,
              symbol: 'BTC/USDT',
              side: 'buy',
              type: 'market',
              quantity: '0.01',
              clientOrderId: `cbPOOLED${String(i).padStart(4, '0')}`,
            },
            deps,
          ),
        ),
      );
      expect(placed.every((p) => p.created && p.order.status === 'filled')).toBe(true);
      const ids = new Set(placed.map((p) => p.order.id));
      const [balance] = await queryRows<{ free: string }>(db, `select free::text from paper_balances where account_id = $1 and asset = 'BTC'`, [account.id]);
      expect(Number(balance!.free), 'every fill counted once').toBeCloseTo(0.24, 8);
      // Every order's event reached the direct LISTEN, numbered, and is in the event log for a resuming stream.
      await expect.poll(() => new Set(heard.map((h) => h.orderId).filter((id) => ids.has(id))).size, { timeout: 10_000 }).toBe(24);
      expect(heard.every((h) => h.seq !== null)).toBe(true);
      const logged = await userEventsAfter(db, user.id, 0);
      expect(new Set(logged.flatMap((l) => (l.event.kind === 'order' ? [l.event.orderId] : [])))).toEqual(ids);
    } finally {
      await listener.unlisten();
    }
  });

  it('a transaction gets the timeouts (SET LOCAL); nothing stays on the shared server connections after it', async () => {
    const inside = await pooled.db.transaction(async (tx) =>
      queryRows<{ statement_timeout: string; lock_timeout: string; idle: string }>(
        tx,
        `select current_setting('statement_timeout') as statement_timeout, current_setting('lock_timeout') as lock_timeout,
                current_setting('idle_in_transaction_session_timeout') as idle`,
        [],
      ),
    );
    expect(inside[0]).toEqual({ statement_timeout: '4321ms', lock_timeout: '250ms', idle: '9876ms' });

    // A row locked on the direct connection: the pooled transaction gives up after lock_timeout, not the default 5 s.
    const holder = await t.sql.reserve();
    try {
      await holder.unsafe('begin');
      await holder.unsafe(`select id from users where username = 'pooled-trader' for update`);
      const started = Date.now();
      const blocked = pooled.db.transaction((tx) => queryRows(tx, `update users set username = username where username = 'pooled-trader'`, []));
      await expect(blocked).rejects.toMatchObject({ code: '55P03' });
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await holder.unsafe('rollback').catch(() => undefined);
      holder.release();
    }

    // The pool's statement_timeout ends a slow statement in a transaction.
    const impatient = createDatabase(pooledUrl, { max: 2, applicationName: 'cryptobot-impatient', statementTimeoutMs: 200 });
    try {
      await expect(impatient.db.transaction((tx) => queryRows(tx, 'select pg_sleep(2)', []))).rejects.toMatchObject({ code: '57014' });
    } finally {
      await impatient.close();
    }

    // Plain statements, on whichever server connection: the server's defaults, no setting left by a transaction.
    const outside = await Promise.all(
      Array.from({ length: 8 }, () =>
        queryRows<{ s: string; l: string }>(pooled.db, `select current_setting('statement_timeout') as s, current_setting('lock_timeout') as l`, []),
      ),
    );
    expect(new Set(outside.map((rows) => `${rows[0]!.s} ${rows[0]!.l}`))).toEqual(new Set(['0 0']));
  });
});
