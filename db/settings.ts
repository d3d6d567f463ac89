import { z } from 'zod';

/**
 * How long the database may make a request wait (docs/security.md, "Database timeouts"). Every connection of every
 * pool gets the three PostgreSQL timeouts as session settings; the pool itself bounds the wait for a connection.
 * A request that hits one answers 503 with Retry-After (server/api/errors.ts), never hangs.
 *
 * The variables are validated wherever a process opens a pool (web, worker, CLI): a bad value stops it, naming the
 * variable. `server/env.ts` and the worker's schema include these fields, so `npm start` reports them with the rest.
 */
const ms = (min: number, max: number) =>
  z.coerce
    .number({ message: `must be a whole number of milliseconds (${min}–${max})` })
    .int({ message: `must be a whole number of milliseconds (${min}–${max})` })
    .min(min, { message: `must be at least ${min} ms` })
    .max(max, { message: `must be at most ${max} ms` });

export const databaseEnvShape = {
  /** Connections per process (web: per server instance). */
  DATABASE_POOL_SIZE: z.coerce
    .number({ message: 'must be a whole number (1–100)' })
    .int({ message: 'must be a whole number (1–100)' })
    .min(1, { message: 'must be at least 1' })
    .max(100, { message: 'must be at most 100' })
    .default(10),
  /** PostgreSQL statement_timeout: one statement runs at most this long. */
  DATABASE_STATEMENT_TIMEOUT_MS: ms(100, 3_600_000).default(30_000),
  /** PostgreSQL lock_timeout: a statement waits at most this long for a row or table lock. */
  DATABASE_LOCK_TIMEOUT_MS: ms(50, 600_000).default(5_000),
  /** PostgreSQL idle_in_transaction_session_timeout: a transaction may sit idle (no statement running) this long. */
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: ms(100, 3_600_000).default(15_000),
  /** How long a transaction waits for a pool connection before the request answers 503. */
  DATABASE_POOL_TIMEOUT_MS: ms(10, 600_000).default(5_000),
} as const;

const databaseEnv = z.object(databaseEnvShape);

export interface DatabaseSettings {
  poolSize: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  poolTimeoutMs: number;
}

/** A bad database variable; `problems` name each one (one line each). */
export class DatabaseConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'DatabaseConfigError';
  }
}

/** The database settings of the environment; throws DatabaseConfigError naming each bad variable. */
export function databaseSettingsFromEnv(source: Record<string, string | undefined>): DatabaseSettings {
  // An empty variable is unset (the default), as a shell's `VAR= cmd` means.
  const present = Object.fromEntries(Object.keys(databaseEnvShape).map((name) => [name, source[name] === '' ? undefined : source[name]]));
  const result = databaseEnv.safeParse(present);
  if (!result.success) throw new DatabaseConfigError(result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  const env = result.data;
  return {
    poolSize: env.DATABASE_POOL_SIZE,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: env.DATABASE_LOCK_TIMEOUT_MS,
    idleInTransactionTimeoutMs: env.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    poolTimeoutMs: env.DATABASE_POOL_TIMEOUT_MS,
  };
}
