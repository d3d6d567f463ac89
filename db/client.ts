import { AsyncLocalStorage } from 'node:async_hooks';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';
import { databaseSettings, directDatabaseUrl, envVariable } from '@/server/env';
import type { DatabaseSettings } from './settings';

export type Schema = typeof schema;
export type Db = PostgresJsDatabase<Schema>;
/** A transaction handle; services accept `Db | Tx` where they can run inside a caller's transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  /** The raw postgres.js client, for COPY, LISTEN/NOTIFY and shutdown. */
  sql: postgres.Sql;
  /** Reached through a transaction-mode pooler (the URL says `pgbouncer=true`): no LISTEN, no session state. */
  pooled: boolean;
  close(): Promise<void>;
}

/** LISTEN (or another session-long use) on a pool that reaches PostgreSQL through a transaction-mode pooler. */
export class PooledListenError extends Error {
  constructor() {
    super('LISTEN needs a direct connection: this pool goes through a transaction-mode pooler (pgbouncer=true); use DIRECT_DATABASE_URL');
    this.name = 'PooledListenError';
  }
}

/**
 * A database URL and whether it goes through a transaction-mode pooler (PgBouncer, Supabase's or Neon's pooler):
 * the query parameter `pgbouncer=true` (Prisma's convention) says so, and is removed from the URL (PostgreSQL
 * would refuse it as a startup parameter). docs/architecture.md, "Pooled database".
 */
export function parseDatabaseUrl(url: string): { url: string; pooled: boolean } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, pooled: false };
  }
  const flag = parsed.searchParams.get('pgbouncer');
  if (flag === null) return { url, pooled: false };
  parsed.searchParams.delete('pgbouncer');
  return { url: parsed.toString(), pooled: flag === 'true' || flag === '1' };
}

/**
 * The statement that gives a transaction the pool's timeouts when the pool is pooled (null when not): a
 * transaction-mode pooler hands each transaction whichever server connection is free, so settings made for a
 * session (startup parameters, SET) would leak to other clients or be lost. SET LOCAL (set_config(..., true))
 * lasts exactly as long as the transaction. Sent as a transaction's first statement (db.transaction, and
 * pipelinedTransaction right behind its BEGIN, in the same write).
 */
const preambles = new WeakMap<postgres.Sql, { text: string; params: unknown[] }>();
export function transactionPreamble(sql: postgres.Sql): { text: string; params: unknown[] } | null {
  return preambles.get(sql) ?? null;
}

/** No pool connection was free for a transaction within DATABASE_POOL_TIMEOUT_MS (mapped to 503 by server/api/errors.ts). */
export class PoolTimeoutError extends Error {
  readonly code = 'POOL_TIMEOUT';
  constructor(readonly waitedMs: number) {
    super(`no database connection was free within ${waitedMs} ms`);
    this.name = 'PoolTimeoutError';
  }
}

/**
 * Code that holds a transaction (or a reserved connection) asked the pool for another connection: the pattern that
 * deadlocks a pool (every connection held by a transaction waiting for one more) and holds row locks while waiting.
 * Use the transaction's handle instead, or do the work before or after the transaction (docs/orders.md, "Locks").
 */
export class PoolNestingError extends Error {
  constructor(what: string) {
    super(`${what} on the pool from inside a transaction: use the transaction's handle, or move it before or after the transaction`);
    this.name = 'PoolNestingError';
  }
}

export interface CreateDatabaseOptions extends Partial<DatabaseSettings> {
  max?: number;
  applicationName?: string;
  /**
   * What a pool use from inside one of this pool's transactions does: 'throw' (PoolNestingError; tests, so every
   * tested path is checked) or 'warn' (logged to stderr once per call site; production keeps serving). Default:
   * 'throw' under NODE_ENV=test, else 'warn'.
   */
  onNestedUse?: 'throw' | 'warn';
}

/**
 * A pool. Every connection gets statement_timeout, lock_timeout and idle_in_transaction_session_timeout
 * (db/settings.ts; from the environment unless given). Transactions and reserved connections take one of
 * max − 1 slots (all of them for a pool of one), waiting at most poolTimeoutMs for it (PoolTimeoutError): so one
 * connection always remains for plain queries (a health check, a sign-in) however many transactions wait, and a
 * wait for a connection is bounded. postgres.js has no acquire timeout of its own: a query waits in its queue
 * until a connection frees up, forever if none does.
 */
export function createDatabase(url: string, options: CreateDatabaseOptions = {}): Database {
  const fromEnv = databaseSettings();
  const settings: DatabaseSettings = { ...fromEnv, ...definedOnly(options) };
  const max = options.max ?? settings.poolSize;
  const target = parseDatabaseUrl(url);
  const applicationName = options.applicationName ?? 'cryptobot';
  const sql = target.pooled
    ? // Through a transaction-mode pooler: no named prepared statements (PgBouncer before 1.21 cannot route them
      // to the server connection that prepared them), and only application_name at startup (a pooler tracks it
      // per client; it refuses other startup parameters). The timeouts are set per transaction (preamble below);
      // a statement outside a transaction gets the role's or database's defaults (README, "Vercel").
      postgres(target.url, { max, prepare: false, onnotice: () => {}, connection: { application_name: applicationName } })
    : postgres(target.url, {
        max,
        onnotice: () => {},
        connection: {
          application_name: applicationName,
          statement_timeout: settings.statementTimeoutMs,
          lock_timeout: settings.lockTimeoutMs,
          idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
        },
      });
  if (target.pooled) {
    preambles.set(sql, {
      text: `select set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true), set_config('idle_in_transaction_session_timeout', $3, true)`,
      params: [`${settings.statementTimeoutMs}ms`, `${settings.lockTimeoutMs}ms`, `${settings.idleInTransactionTimeoutMs}ms`],
    });
  }
  guardPool(sql, {
    slots: Math.max(1, max - 1),
    timeoutMs: settings.poolTimeoutMs,
    onNested: options.onNestedUse ?? (envVariable('NODE_ENV') === 'test' ? 'throw' : 'warn'),
    pooled: target.pooled,
  });
  const db = drizzle(sql, { schema });
  return { db, sql, pooled: target.pooled, close: () => sql.end({ timeout: 5 }) };
}

function definedOnly(options: CreateDatabaseOptions): Partial<DatabaseSettings> {
  const out: Partial<DatabaseSettings> = {};
  for (const key of ['poolSize', 'statementTimeoutMs', 'lockTimeoutMs', 'idleInTransactionTimeoutMs', 'poolTimeoutMs'] as const) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out;
}

/** Marks the async context of a transaction's (or reserved connection's) holder, per pool. */
const holding = new AsyncLocalStorage<postgres.Sql>();
const warnedAt = new Set<string>();

/**
 * Wraps the pool's `begin` and `reserve` (drizzle's `db.transaction` is `begin`) with a slot gate, and its plain
 * queries with the nesting check. The statements inside a transaction go through the transaction's own handle,
 * never through these.
 */
function guardPool(sql: postgres.Sql, options: { slots: number; timeoutMs: number; onNested: 'throw' | 'warn'; pooled: boolean }): void {
  const gate = new SlotGate(options.slots, options.timeoutMs);
  const nested = (what: string) => {
    if (holding.getStore() !== sql) return;
    const error = new PoolNestingError(what);
    if (options.onNested === 'throw') throw error;
    const site = error.stack?.split('\n').slice(2, 6).join('\n') ?? '';
    if (warnedAt.has(site)) return;
    warnedAt.add(site);
    console.error(`${error.message}\n${site}`);
  };
  const begin = sql.begin.bind(sql) as (...args: unknown[]) => Promise<unknown>;
  const reserve = sql.reserve.bind(sql);
  const unsafe = sql.unsafe.bind(sql);
  const mutable = sql as unknown as Record<string, unknown>;
  mutable.begin = async (...args: unknown[]) => {
    nested('a transaction');
    const fn = args.pop() as (tx: unknown) => unknown;
    const release = await gate.acquire();
    try {
      // The statements of fn run on the transaction's handle; anything fn sends through the pool is flagged.
      const preamble = preambles.get(sql);
      return await begin(...args, (tx: unknown) =>
        holding.run(sql, async () => {
          if (preamble) await (tx as postgres.TransactionSql).unsafe(preamble.text, preamble.params as postgres.ParameterOrJSON<never>[]);
          return fn(tx);
        }),
      );
    } finally {
      release();
    }
  };
  mutable.reserve = async () => {
    nested('a reserved connection');
    const release = await gate.acquire();
    try {
      const connection = await reserve();
      const give = connection.release.bind(connection);
      let released = false;
      connection.release = () => {
        if (released) return;
        released = true;
        give();
        release();
      };
      return connection;
    } catch (error) {
      release();
      throw error;
    }
  };
  if (options.pooled) {
    // A LISTEN through a transaction-mode pooler would hear nothing once its transaction ends.
    mutable.listen = () => Promise.reject(new PooledListenError());
  }
  // Plain queries (drizzle sends every query through `unsafe`; tagged templates are rare outside transactions).
  mutable.unsafe = (...args: Parameters<postgres.Sql['unsafe']>) => {
    nested('a query');
    return unsafe(...args);
  };
}

/** Runs `fn` marked as holding a connection of `database` (reservedConnection users: the pipelined transaction). */
export function asHolderOf<T>(database: postgres.Sql, fn: () => T): T {
  return holding.run(database, fn);
}

/** A counting semaphore with a bounded wait, first come first served. */
class SlotGate {
  private free: number;
  private readonly waiting: Array<{ grant: () => void; timer: NodeJS.Timeout }> = [];

  constructor(
    slots: number,
    private readonly timeoutMs: number,
  ) {
    this.free = slots;
  }

  acquire(): Promise<() => void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(entry.timer);
          resolve(this.releaser());
        },
        timer: setTimeout(() => {
          const index = this.waiting.indexOf(entry);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(new PoolTimeoutError(this.timeoutMs));
        }, this.timeoutMs),
      };
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.free++;
    };
  }
}

const globalForDb = globalThis as unknown as { cryptobotDatabase?: Database; cryptobotListenDatabase?: Database };

/**
 * The process-wide database of the web server (one pool per process, reused across hot reloads), on DATABASE_URL
 * (pooled or direct). The worker and tests create their own with `createDatabase`.
 */
export function getDatabase(): Database {
  if (!globalForDb.cryptobotDatabase) {
    const url = envVariable('DATABASE_URL');
    globalForDb.cryptobotDatabase = createDatabase(url, { applicationName: 'cryptobot-web' });
  }
  return globalForDb.cryptobotDatabase;
}

/**
 * The web server's database for LISTEN: getDatabase() when DATABASE_URL is direct; otherwise a one-connection
 * client on DIRECT_DATABASE_URL (a LISTEN needs its session for as long as it listens).
 */
export function getListenDatabase(): Database {
  const database = getDatabase();
  if (!database.pooled) return database;
  globalForDb.cryptobotListenDatabase ??= createDatabase(directDatabaseUrl(), { max: 1, applicationName: 'cryptobot-web-listen' });
  return globalForDb.cryptobotListenDatabase;
}
