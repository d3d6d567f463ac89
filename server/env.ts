import { z } from 'zod';
import { databaseEnvShape } from '@/db/settings';

/**
 * The processes' configuration from environment variables: the web server's (`getEnv`, validated once on first use,
 * lazily so that `next build`, which imports route modules, does not need production secrets; `npm start` checks
 * it before starting) and the worker's (`parseWorkerEnv`, checked by server/worker/main.ts at start). A bad value
 * stops the process with a line naming the variable; an empty variable counts as unset (the default). README's
 * "Configuration" lists every variable.
 */
const databaseUrl = z.string().url({ message: 'must be a postgres:// URL' });
const masterKey = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, { message: 'must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)' });
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
const heartbeatMs = z.coerce.number().int().min(100).max(60_000).default(5_000);
/** A duration in whole milliseconds between min and max. */
const milliseconds = (min: number, max: number) => {
  const message = `must be a whole number of milliseconds (${min}–${max})`;
  return z.coerce.number({ message }).int({ message }).min(min, { message }).max(max, { message });
};

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: databaseUrl,
  NEXTAUTH_URL: z.string().url({ message: 'must be the public URL of the web app, e.g. https://cryptobot.example.com' }).optional(),
  NEXTAUTH_SECRET: z.string().min(32, { message: 'must be at least 32 characters (e.g. `openssl rand -base64 48`)' }),
  CRYPTOBOT_MASTER_KEY: masterKey,
  CRYPTOBOT_CONFIG: z.string().optional(),
  LOG_LEVEL: logLevel,
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  WORKER_HEARTBEAT_MS: heartbeatMs,
  // Pool size and the database timeouts (db/settings.ts).
  ...databaseEnvShape,
  // Request body limits in bytes, per route class (server/api/body-limit.ts, docs/security.md).
  CRYPTOBOT_MAX_BODY_BYTES: z.coerce.number().int().min(1024, { message: 'must be at least 1024 (bytes)' }).max(16 * 1024 * 1024, { message: 'must be at most 16777216 (16 MiB)' }).default(64 * 1024),
  CRYPTOBOT_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024, { message: 'must be at least 1048576 (1 MiB)' })
    .max(1024 * 1024 * 1024, { message: 'must be at most 1073741824 (1 GiB)' })
    .default(65 * 1024 * 1024),
  // Registration and the authentication throttles (docs/security.md "Throttles" and "Registration").
  CRYPTOBOT_REGISTRATION: z.enum(['open', 'invite', 'closed'], { message: 'must be open, invite or closed' }).default('invite'),
  CRYPTOBOT_AUTH_THROTTLE_WINDOW_MINUTES: z.coerce.number().int({ message: 'must be a whole number of minutes' }).min(1, { message: 'must be 1 to 1440 minutes' }).max(1440, { message: 'must be 1 to 1440 minutes' }).default(15),
  CRYPTOBOT_SIGN_IN_FAILURES_PER_USERNAME: z.coerce.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be 1 to 100000' }).max(100_000, { message: 'must be 1 to 100000' }).default(10),
  CRYPTOBOT_SIGN_IN_FAILURES_PER_IP: z.coerce.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be 1 to 100000' }).max(100_000, { message: 'must be 1 to 100000' }).default(50),
  CRYPTOBOT_API_KEY_FAILURES_PER_IP: z.coerce.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be 1 to 100000' }).max(100_000, { message: 'must be 1 to 100000' }).default(50),
  CRYPTOBOT_API_KEY_FAILURES_PER_KEY: z.coerce.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be 1 to 100000' }).max(100_000, { message: 'must be 1 to 100000' }).default(20),
  CRYPTOBOT_REGISTRATIONS_PER_IP: z.coerce.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be 1 to 100000' }).max(100_000, { message: 'must be 1 to 100000' }).default(5),
  CRYPTOBOT_REGISTRATION_WINDOW_MINUTES: z.coerce.number().int({ message: 'must be a whole number of minutes' }).min(1, { message: 'must be 1 to 1440 minutes' }).max(1440, { message: 'must be 1 to 1440 minutes' }).default(60),
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
  return parseWith(envSchema, source);
}

/** How often the worker's periodic loops run, and its deployment lease (server/worker). */
export const workerLoopsShape = {
  /** The reconciler's pause between passes. */
  RECONCILE_INTERVAL_MS: milliseconds(100, 86_400_000).default(30_000),
  /** The equity snapshots' grid (one snapshot per account per interval). */
  EQUITY_SNAPSHOT_INTERVAL_MS: milliseconds(1_000, 86_400_000).default(60_000),
  /** How often keys near expiry get a successor. */
  API_KEY_ROTATION_INTERVAL_MS: milliseconds(100, 86_400_000).default(60_000),
  /** A killed worker's deployments move to another worker after this. */
  CRYPTOBOT_DEPLOYMENT_LEASE_MS: milliseconds(600, 3_600_000).default(15_000),
} as const;

const workerEnvSchema = z.object({
  DATABASE_URL: databaseUrl,
  // The worker decrypts exchange credentials and key-rotation successors.
  CRYPTOBOT_MASTER_KEY: masterKey,
  CRYPTOBOT_CONFIG: z.string().optional(),
  LOG_LEVEL: logLevel,
  WORKER_HEARTBEAT_MS: heartbeatMs,
  WORKER_ID: z.string().min(1).max(100).optional(),
  ...workerLoopsShape,
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

/** CRYPTOBOT_REGISTRATION read on each call (validated at start with the rest), so tests can switch modes. */
export function registrationModeFrom(source: Record<string, string | undefined>): Env['CRYPTOBOT_REGISTRATION'] {
  return envSchema.shape.CRYPTOBOT_REGISTRATION.parse(source.CRYPTOBOT_REGISTRATION || undefined);
}
