import { z } from 'zod';
import { databaseEnvShape, databaseSettingsFromEnv, type DatabaseSettings } from '@/db/settings';
import { keysConfigFromEnv, keysEnvShape, type KeysConfig } from '@/server/services/keys/config';

/**
 * The processes' configuration from environment variables, the one module that reads `process.env` (eslint's
 * no-restricted-properties rule keeps it so; the exceptions are listed in eslint.config.js): the web server's
 * (`getEnv`, validated once on first use, lazily so that `next build`, which imports route modules, does not need
 * production secrets; `npm start` checks it before starting), the worker's (`parseWorkerEnv`, checked by
 * server/worker/main.ts at start) and the command-line tools' (`cliEnvOrExit`). The processes share the field
 * declarations below. A bad value stops the process with a line naming the variable; an empty variable counts as
 * unset (the default). README's "Configuration" lists every variable.
 */
const databaseUrl = z.string().url({ message: 'must be a postgres:// URL' });
/**
 * The direct connection (no transaction-mode pooler) for LISTEN, the worker and migrations, when DATABASE_URL goes
 * through one (`?pgbouncer=true`, db/client.ts parseDatabaseUrl); unset: DATABASE_URL.
 */
const directDatabaseUrlField = databaseUrl
  .refine((v) => !/[?&]pgbouncer=(true|1)(&|$)/.test(v), { message: 'must be a direct connection to PostgreSQL (no pgbouncer=true): LISTEN needs one' })
  .optional();
const masterKey = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, { message: 'must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)' });
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** No default here: the logger's default depends on NODE_ENV (`warn` in tests, else `info`). */
const logLevel = z.enum(logLevels, { message: `must be one of ${logLevels.join(', ')}` }).optional();
const nodeEnv = z.enum(['development', 'test', 'production'], { message: 'must be development, test or production' }).default('development');
/** The `service` field of log lines (`npm start` sets web or worker). */
const serviceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, { message: 'must be a short lowercase name such as web or worker' })
  .default('web');
const port = z.coerce
  .number({ message: 'must be a port number (1-65535)' })
  .int({ message: 'must be a port number (1-65535)' })
  .min(1, { message: 'must be a port number (1-65535)' })
  .max(65535, { message: 'must be a port number (1-65535)' })
  .default(3000);
/** Exchange URL overrides, JSON; parsed and checked with the config file by server/config (loadAppConfig). */
const exchangeUrlsJson = z.string().optional();
/** Fault injection for the reliability tests (server/services/faults.ts); never set in production. */
const faultShape = {
  CRYPTOBOT_CRASH_POINTS: z.string().optional(),
  CRYPTOBOT_CRASH_PROBABILITY: z.coerce
    .number({ message: 'must be a probability (0–1)' })
    .min(0, { message: 'must be a probability (0–1)' })
    .max(1, { message: 'must be a probability (0–1)' })
    .default(1),
} as const;
const heartbeatMs = z.coerce.number().int().min(100).max(60_000).default(5_000);
/** A duration in whole milliseconds between min and max. */
const milliseconds = (min: number, max: number) => {
  const message = `must be a whole number of milliseconds (${min}–${max})`;
  return z.coerce.number({ message }).int({ message }).min(min, { message }).max(max, { message });
};

/** A throttle's allowance: attempts per window (docs/security.md "Throttles"). */
const attemptLimit = (fallback: number) =>
  z.coerce
    .number()
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be 1 to 100000' })
    .max(100_000, { message: 'must be 1 to 100000' })
    .default(fallback);

/** A throttle's window, in minutes (one day at most). */
const windowMinutes = (fallback: number) =>
  z.coerce
    .number()
    .int({ message: 'must be a whole number of minutes' })
    .min(1, { message: 'must be 1 to 1440 minutes' })
    .max(1440, { message: 'must be 1 to 1440 minutes' })
    .default(fallback);

/**
 * Outbound notifications (server/services/notifications, docs/notifications.md): each service's base URL (tests point
 * them at local fakes) and the SSRF guard's switch (private and loopback addresses are refused unless this is true).
 */
const httpBaseUrl = (fallback: string) =>
  z
    .string()
    .url({ message: 'must be an http(s) base URL' })
    .refine((v) => /^https?:\/\//.test(v), { message: 'must be an http(s) base URL' })
    .transform((v) => v.replace(/\/+$/, ''))
    .default(fallback);
export const notifyShape = {
  NOTIFY_TELEGRAM_API_URL: httpBaseUrl('https://api.telegram.org'),
  NOTIFY_DISCORD_API_URL: httpBaseUrl('https://discord.com'),
  NOTIFY_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
  /** How often the worker polls each Telegram channel's bot for commands (docs/notifications.md "Commands"); 0: never. */
  NOTIFY_TELEGRAM_COMMANDS_POLL_SECONDS: z.coerce.number({ message: 'must be a number of seconds' }).min(0).max(3600).default(3),
} as const;
export interface NotifySettings {
  telegramApiUrl: string;
  discordApiUrl: string;
  allowPrivateNetworks: boolean;
}

const envSchema = z.object({
  NODE_ENV: nodeEnv,
  ...notifyShape,
  PORT: port,
  DATABASE_URL: databaseUrl,
  DIRECT_DATABASE_URL: directDatabaseUrlField,
  NEXTAUTH_URL: z.string().url({ message: 'must be the public URL of the web app, e.g. https://cryptobot.example.com' }).optional(),
  NEXTAUTH_SECRET: z.string().min(32, { message: 'must be at least 32 characters (e.g. `openssl rand -base64 48`)' }),
  CRYPTOBOT_MASTER_KEY: masterKey,
  CRYPTOBOT_CONFIG: z.string().optional(),
  CRYPTOBOT_EXCHANGE_URLS: exchangeUrlsJson,
  LOG_LEVEL: logLevel,
  CRYPTOBOT_SERVICE: serviceName,
  ...faultShape,
  // API key rotation (server/services/keys/config.ts).
  ...keysEnvShape,
  // How long the server keeps a live stream (SSE) open before ending it; the client resumes from the last event id.
  // Under a serverless function's time limit (Vercel: 300 s by default); 0: no limit (server/api/trpc.ts).
  CRYPTOBOT_STREAM_MAX_SECONDS: z.coerce
    .number({ message: 'must be a whole number of seconds (0–86400; 0: no limit)' })
    .int({ message: 'must be a whole number of seconds (0–86400; 0: no limit)' })
    .min(0, { message: 'must be a whole number of seconds (0–86400; 0: no limit)' })
    .max(86_400, { message: 'must be a whole number of seconds (0–86400; 0: no limit)' })
    .default(280),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  WORKER_HEARTBEAT_MS: heartbeatMs,
  // Pool size and the database timeouts (db/settings.ts).
  ...databaseEnvShape,
  // Request body limits in bytes, per route class (server/api/body-limit.ts, docs/security.md).
  CRYPTOBOT_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024, { message: 'must be at least 1024 (bytes)' })
    .max(16 * 1024 * 1024, { message: 'must be at most 16777216 (16 MiB)' })
    .default(64 * 1024),
  CRYPTOBOT_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024, { message: 'must be at least 1048576 (1 MiB)' })
    .max(1024 * 1024 * 1024, { message: 'must be at most 1073741824 (1 GiB)' })
    .default(65 * 1024 * 1024),
  // Registration and the authentication throttles (docs/security.md "Throttles" and "Registration").
  CRYPTOBOT_REGISTRATION: z.enum(['open', 'invite', 'closed'], { message: 'must be open, invite or closed' }).default('invite'),
  CRYPTOBOT_AUTH_THROTTLE_WINDOW_MINUTES: windowMinutes(15),
  CRYPTOBOT_SIGN_IN_FAILURES_PER_USERNAME: attemptLimit(10),
  CRYPTOBOT_SIGN_IN_FAILURES_PER_IP: attemptLimit(50),
  CRYPTOBOT_API_KEY_FAILURES_PER_IP: attemptLimit(50),
  CRYPTOBOT_API_KEY_FAILURES_PER_KEY: attemptLimit(20),
  CRYPTOBOT_REGISTRATIONS_PER_IP: attemptLimit(5),
  CRYPTOBOT_REGISTRATION_WINDOW_MINUTES: windowMinutes(60),
  // Signal webhooks (docs/signals.md): signals per deployment per minute, and the replay window around a signal's `time`.
  CRYPTOBOT_SIGNALS_PER_MINUTE: attemptLimit(60),
  CRYPTOBOT_SIGNAL_REPLAY_WINDOW_SECONDS: z.coerce
    .number()
    .int({ message: 'must be a whole number of seconds' })
    .min(5, { message: 'must be 5 to 86400 seconds' })
    .max(86_400, { message: 'must be 5 to 86400 seconds' })
    .default(300),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The source's variables with empty ones left out (a shell's `VAR= cmd` means unset). */
function withoutEmpty(source: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(source).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** Parses `source` with `schema`; throws ConfigError with one line per missing or bad variable, naming it. */
function parseWith<T>(schema: z.ZodType<T>, source: Record<string, string | undefined>): T {
  const present = withoutEmpty(source);
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return present[name] === undefined ? `${name} is required but not set` : `${name} ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** The web server's configuration; one line per missing or bad variable, naming it and saying how to fix it. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const env = parseWith(envSchema, source);
  directDatabaseUrlOf(env);
  return env;
}

/**
 * The web configuration before `npm start` fills in the local setup's database URL and secrets (server/cli/start.ts):
 * every other variable is checked as parseEnv does, so a bad one stops the launcher before anything starts.
 */
export function parseEnvBeforeLocalDefaults(source: Record<string, string | undefined>): void {
  parseWith(envSchema.partial({ DATABASE_URL: true, NEXTAUTH_SECRET: true, CRYPTOBOT_MASTER_KEY: true }), source);
}

/** How often the worker's periodic loops run, and its deployment lease (server/worker). */
export const workerLoopsShape = {
  /** The reconciler's pause between passes. */
  RECONCILE_INTERVAL_MS: milliseconds(100, 86_400_000).default(30_000),
  /** The equity snapshots' grid (one snapshot per account per interval). */
  EQUITY_SNAPSHOT_INTERVAL_MS: milliseconds(1_000, 86_400_000).default(60_000),
  /** How often keys near expiry get a successor. */
  API_KEY_ROTATION_INTERVAL_MS: milliseconds(100, 86_400_000).default(60_000),
  /** How often running live-feed deployments' exchange-chosen pair lists (top N by volume) are re-resolved. */
  PAIR_LIST_REFRESH_INTERVAL_MS: milliseconds(1_000, 86_400_000).default(3_600_000),
  /** A killed worker's deployments move to another worker after this. */
  CRYPTOBOT_DEPLOYMENT_LEASE_MS: milliseconds(600, 3_600_000).default(15_000),
} as const;

const workerEnvSchema = z.object({
  DATABASE_URL: databaseUrl,
  DIRECT_DATABASE_URL: directDatabaseUrlField,
  // The worker decrypts exchange credentials and key-rotation successors.
  CRYPTOBOT_MASTER_KEY: masterKey,
  NODE_ENV: nodeEnv,
  CRYPTOBOT_CONFIG: z.string().optional(),
  CRYPTOBOT_EXCHANGE_URLS: exchangeUrlsJson,
  LOG_LEVEL: logLevel,
  CRYPTOBOT_SERVICE: serviceName,
  ...faultShape,
  ...keysEnvShape,
  WORKER_HEARTBEAT_MS: heartbeatMs,
  WORKER_ID: z.string().min(1).max(100).optional(),
  ...workerLoopsShape,
  ...notifyShape,
  // Pool size and the database timeouts (db/settings.ts).
  ...databaseEnvShape,
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;
/** The loops' settings (a part of WorkerEnv). */
export type WorkerLoopSettings = { [K in keyof typeof workerLoopsShape]: number };

/** The worker's configuration (server/worker/main.ts); throws ConfigError naming each missing or bad variable. */
export function parseWorkerEnv(source: Record<string, string | undefined>): WorkerEnv {
  return parseWith(workerEnvSchema, source);
}

/** The loops' settings when nothing is set: the defaults above (for loops started without a WorkerEnv, in tests). */
export function defaultWorkerLoopSettings(): WorkerLoopSettings {
  return z.object(workerLoopsShape).parse({});
}

let cached: Env | undefined;

export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** The worker's configuration from this process's environment (server/worker/main.ts, at start). */
export function workerEnvFromProcess(): WorkerEnv {
  return parseWorkerEnv(process.env);
}

/**
 * One variable of the web schema, validated by its declaration, read on each call: for modules loaded by
 * `next build` or by every process (the logger, the database client), where the whole schema may not hold yet.
 */
export function envVariable<K extends keyof Env>(name: K, source: Record<string, string | undefined> = process.env): Env[K] {
  const field: z.ZodType = envSchema.shape[name];
  return parseWith(z.object({ [name]: field }), source)[name] as Env[K];
}

/** The direct database URL (DIRECT_DATABASE_URL, else DATABASE_URL), validated, read on each call. */
export function directDatabaseUrl(source: Record<string, string | undefined> = process.env): string {
  return directDatabaseUrlOf({ DATABASE_URL: envVariable('DATABASE_URL', source), DIRECT_DATABASE_URL: envVariable('DIRECT_DATABASE_URL', source) });
}

/**
 * DIRECT_DATABASE_URL, else DATABASE_URL when that is direct; a pooled DATABASE_URL (`pgbouncer=true`) without a
 * DIRECT_DATABASE_URL is a ConfigError naming it (the web app's LISTEN and the worker need the direct connection).
 */
export function directDatabaseUrlOf(env: { DATABASE_URL: string; DIRECT_DATABASE_URL?: string }): string {
  if (env.DIRECT_DATABASE_URL) return env.DIRECT_DATABASE_URL;
  if (/[?&]pgbouncer=(true|1)(&|$)/.test(env.DATABASE_URL)) {
    throw new ConfigError(['DIRECT_DATABASE_URL is required when DATABASE_URL goes through a pooler (pgbouncer=true): set it to the direct connection']);
  }
  return env.DATABASE_URL;
}

/** CRYPTOBOT_REGISTRATION read on each call (validated at start with the rest), so tests can switch modes. */
export function registrationModeFrom(source: Record<string, string | undefined> = process.env): Env['CRYPTOBOT_REGISTRATION'] {
  return envSchema.shape.CRYPTOBOT_REGISTRATION.parse(source.CRYPTOBOT_REGISTRATION || undefined);
}

/** The logger's level and service name (server/logger.ts); LOG_LEVEL defaults to `warn` in tests, else `info`. */
export function loggerSettings(source: Record<string, string | undefined> = process.env): { level: string; service: string } {
  const env = parseWith(z.object({ NODE_ENV: nodeEnv, LOG_LEVEL: logLevel, CRYPTOBOT_SERVICE: serviceName }), source);
  return { level: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'warn' : 'info'), service: env.CRYPTOBOT_SERVICE };
}

/** Fault injection's crash points and probability (server/services/faults.ts). */
export function faultSettings(source: Record<string, string | undefined> = process.env): { points: Set<string>; probability: number } {
  const env = parseWith(z.object(faultShape), source);
  const points = (env.CRYPTOBOT_CRASH_POINTS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return { points: new Set(points), probability: env.CRYPTOBOT_CRASH_PROBABILITY };
}

/** The master key's text as set ('' when unset); server/services/crypto parses it and says what is wrong. */
export function masterKeyText(): string {
  return process.env.CRYPTOBOT_MASTER_KEY ?? '';
}

/** The notification senders' settings (notifyShape), read on each call so tests can switch them. */
export function notifySettings(source: Record<string, string | undefined> = process.env): NotifySettings {
  const env = parseWith(z.object(notifyShape), source);
  return {
    telegramApiUrl: env.NOTIFY_TELEGRAM_API_URL,
    discordApiUrl: env.NOTIFY_DISCORD_API_URL,
    allowPrivateNetworks: env.NOTIFY_ALLOW_PRIVATE_NETWORKS === 'true',
  };
}

/** The Telegram command poller's interval (ms; 0: off). */
export function telegramCommandsPollMs(source: Record<string, string | undefined> = process.env): number {
  return parseWith(z.object(notifyShape), source).NOTIFY_TELEGRAM_COMMANDS_POLL_SECONDS * 1000;
}

/** The database pool's size and timeouts (db/settings.ts declares and parses them). */
export function databaseSettings(): DatabaseSettings {
  return databaseSettingsFromEnv(process.env);
}

/** The API key settings (server/services/keys/config.ts declares and parses them), read on each call. */
export function keysConfig(): KeysConfig {
  return keysConfigFromEnv(process.env);
}

/** The variables server/config reads with the config file: its path and the exchange URL overrides. */
export function appConfigVariables(): { CRYPTOBOT_CONFIG?: string; CRYPTOBOT_EXCHANGE_URLS?: string } {
  return { CRYPTOBOT_CONFIG: process.env.CRYPTOBOT_CONFIG, CRYPTOBOT_EXCHANGE_URLS: process.env.CRYPTOBOT_EXCHANGE_URLS };
}

/** What the command-line tools (server/cli) read; each tool names the variables it needs (`cliEnvOrExit`). */
const cliShape = {
  DATABASE_URL: databaseUrl,
  TEST_ADMIN_DATABASE_URL: databaseUrl,
  CRYPTOBOT_MASTER_KEY: masterKey,
  /** The new key for rotate-master-key. */
  CRYPTOBOT_MASTER_KEY_NEW: masterKey,
  NEXTAUTH_SECRET: envSchema.shape.NEXTAUTH_SECRET,
  /** The seeded demo user's password (db:seed); random when unset. */
  DEMO_PASSWORD: z.string().optional(),
  /** The tRPC client example's server and API key. */
  CRYPTOBOT_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/]+/, { message: 'must be the web app URL, e.g. http://localhost:3000' })
    .default('http://localhost:3000'),
  CRYPTOBOT_API_KEY: z.string().optional(),
  CRYPTOBOT_API_KEY_FILE: z.string().optional(),
  CRYPTOBOT_CONFIG: z.string().optional(),
  PORT: port,
  /** The Next build folder npm start looks for. */
  NEXT_DIST_DIR: z.string().default('.next'),
} as const;
type CliShape = typeof cliShape;
export type CliEnv<K extends keyof CliShape> = { [P in K]: z.infer<CliShape[P]> };

/**
 * The named variables of a command-line tool, validated (`optional` ones may be unset). Throws ConfigError naming
 * each missing or bad one.
 */
export function parseCliEnv<K extends keyof CliShape>(
  names: readonly K[],
  optional: readonly K[] = [],
  source: Record<string, string | undefined> = process.env,
): CliEnv<K> {
  const shape = Object.fromEntries(names.map((name) => [name, optional.includes(name) ? cliShape[name].optional() : cliShape[name]]));
  return parseWith(z.object(shape), source) as CliEnv<K>;
}

/** parseCliEnv, or one line on stderr per bad variable (`tool: NAME ...`) and exit 1. */
export function cliEnvOrExit<K extends keyof CliShape>(tool: string, names: readonly K[], optional: readonly K[] = []): CliEnv<K> {
  try {
    return parseCliEnv(names, optional);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`${tool}: ${problem}`);
    process.exit(1);
  }
}

/** This process's whole environment, for a launcher handing it on to the processes it starts (server/cli). */
export function inheritedEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env };
}
