import { z } from 'zod';
import { databaseEnvShape } from '@/db/settings';

/**
 * Configuration from environment variables, validated once on first use. Validation is lazy so that
 * `next build` (which imports route modules) does not need production secrets.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.string().url({ message: 'must be a postgres:// URL' }),
  NEXTAUTH_URL: z.string().url({ message: 'must be the public URL of the web app, e.g. https://cryptobot.example.com' }).optional(),
  NEXTAUTH_SECRET: z.string().min(32, { message: 'must be at least 32 characters (e.g. `openssl rand -base64 48`)' }),
  CRYPTOBOT_MASTER_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, { message: 'must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)' }),
  CRYPTOBOT_CONFIG: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
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

/** One line per missing or bad variable, naming it and saying how to fix it. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const missing = source[name] === undefined || source[name] === '';
    return missing ? `${name} is required but not set` : `${name} ${issue.message}`;
  });
  throw new ConfigError(problems);
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
