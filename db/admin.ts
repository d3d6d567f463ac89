import postgres from 'postgres';

/** Explains an unreachable database in one line a person can act on. */
export function describeConnectionError(url: string, error: unknown): string {
  const parsed = new URL(url);
  const where = `${parsed.hostname}:${parsed.port || 5432}`;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  if (code === 'ECONNREFUSED') return `cannot reach PostgreSQL at ${where} (connection refused): start it, or fix DATABASE_URL`;
  if (code === 'ENOTFOUND') return `cannot resolve the database host "${parsed.hostname}": fix DATABASE_URL`;
  if (code === '28P01' || code === '28000') return `PostgreSQL at ${where} refused the credentials in DATABASE_URL: ${message}`;
  if (code === '3D000') return `the database "${parsed.pathname.slice(1)}" does not exist on ${where}: create it, or fix DATABASE_URL`;
  return `cannot use the database at ${where}: ${message}`;
}

/** Connects once and runs `select 1`; throws an Error whose message is one actionable line. */
export async function assertDatabaseReachable(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (error) {
    throw new Error(describeConnectionError(url, error));
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

export async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await sql.unsafe(`create database "${name.replace(/"/g, '')}"`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  return withDatabase(adminUrl, name);
}

/**
 * Drops a database, disconnecting its sessions. Bounded by a statement timeout: on a shared server a
 * backend stuck elsewhere (e.g. writing to a client that stopped reading) can hold up the drop's
 * ProcSignalBarrier indefinitely, and a test run must not hang on its clean-up.
 */
export async function dropDatabase(adminUrl: string, name: string, timeoutMs = 30_000): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connection: { statement_timeout: timeoutMs } });
  try {
    await sql.unsafe(`drop database if exists "${name.replace(/"/g, '')}" with (force)`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
