import { getDatabase } from '@/db/client';
import { getEnv, registrationModeFrom, type Env } from '@/server/env';
import type { AuthThrottleConfig } from '@/server/services/auth/throttle';
import { registrationStatus, type RegistrationMode } from '@/server/services/auth/users';

/** The authentication throttles' limits, from the validated environment (docs/security.md "Throttles"). */
export function authThrottleConfig(env: Env = getEnv()): AuthThrottleConfig {
  return {
    windowMs: env.CRYPTOBOT_AUTH_THROTTLE_WINDOW_MINUTES * 60_000,
    signInPerUsername: env.CRYPTOBOT_SIGN_IN_FAILURES_PER_USERNAME,
    signInPerIp: env.CRYPTOBOT_SIGN_IN_FAILURES_PER_IP,
    apiKeyPerIp: env.CRYPTOBOT_API_KEY_FAILURES_PER_IP,
    apiKeyPerKey: env.CRYPTOBOT_API_KEY_FAILURES_PER_KEY,
    registrationsPerIp: env.CRYPTOBOT_REGISTRATIONS_PER_IP,
    registrationWindowMs: env.CRYPTOBOT_REGISTRATION_WINDOW_MINUTES * 60_000,
  };
}

/**
 * Who may register (CRYPTOBOT_REGISTRATION), read on every request rather than cached, so tests can
 * exercise each mode against the same route handlers. The value was validated at start.
 */
export function registrationMode(source?: Record<string, string | undefined>): RegistrationMode {
  return registrationModeFrom(source);
}

/** Who may register right now, for the register page (which never reaches the database itself). */
export function currentRegistrationStatus(): ReturnType<typeof registrationStatus> {
  return registrationStatus(getDatabase().db, registrationMode());
}
