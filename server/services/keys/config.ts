import { z } from 'zod';
import { masterKeyFrom } from './secret-box';

const DAY_MS = 86_400_000;

/** Key settings, read from the environment by the web server and the worker alike. */
export interface KeysConfig {
  /** How long a rotated key keeps working after its successor was handed out (ms); never past its expiry. */
  graceMs: number;
  /** The worker issues a successor this long before expiry (ms), or at half the key's lifetime if sooner. */
  autoRotateLeadMs: number;
  /** Encrypts a worker-issued successor's secret until it is fetched. */
  masterKey: Buffer;
}

export const MAX_KEY_LIFETIME_DAYS = 90;
export const DEFAULT_KEY_LIFETIME_DAYS = 90;

/** The key settings' variables (validated at start by server/env.ts, which includes them in the web and worker schemas). */
export const keysEnvShape = {
  API_KEY_GRACE_DAYS: z.coerce
    .number({ error: 'must be a number of days' })
    .min(0, { error: 'must be between 0 and 30 days' })
    .max(30, { error: 'must be between 0 and 30 days' })
    .default(7),
  API_KEY_AUTO_ROTATE_DAYS: z.coerce
    .number({ error: 'must be a number of days' })
    .min(1, { error: 'must be between 1 and 30 days' })
    .max(30, { error: 'must be between 1 and 30 days' })
    .default(14),
} as const;

const keysEnv = z.object({
  ...keysEnvShape,
  CRYPTOBOT_MASTER_KEY: z.string({ error: 'is required but not set' }),
});

/** The key settings of `source` (the process's environment, given by server/env.ts `keysConfig`). */
export function keysConfigFromEnv(source: Record<string, string | undefined>): KeysConfig {
  const parsed = keysEnv.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.')} ${issue.message}`);
  }
  return {
    graceMs: parsed.data.API_KEY_GRACE_DAYS * DAY_MS,
    autoRotateLeadMs: parsed.data.API_KEY_AUTO_ROTATE_DAYS * DAY_MS,
    masterKey: masterKeyFrom(parsed.data.CRYPTOBOT_MASTER_KEY),
  };
}

export { DAY_MS };
