import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '@/server/env';
import { DEFAULT_AUTH_THROTTLE } from '@/server/services/auth/throttle';
import { authThrottleConfig, registrationMode } from './limits';

const valid = { DATABASE_URL: 'postgres://u@h:5432/d', NEXTAUTH_SECRET: 's'.repeat(32), CRYPTOBOT_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };

describe('registration and throttle settings', () => {
  it('default to invite-only registration and the documented limits', () => {
    const env = parseEnv(valid);
    expect(env.CRYPTOBOT_REGISTRATION).toBe('invite');
    expect(authThrottleConfig(env), 'the defaults of docs/security.md').toEqual(DEFAULT_AUTH_THROTTLE);
  });

  it('read each variable, in its unit', () => {
    const env = parseEnv({
      ...valid,
      CRYPTOBOT_REGISTRATION: 'open',
      CRYPTOBOT_SIGN_IN_FAILURES_PER_USERNAME: '3',
      CRYPTOBOT_AUTH_THROTTLE_WINDOW_MINUTES: '2',
      CRYPTOBOT_REGISTRATIONS_PER_IP: '9',
      CRYPTOBOT_REGISTRATION_WINDOW_MINUTES: '30',
      CRYPTOBOT_API_KEY_FAILURES_PER_KEY: '4',
    });
    expect(env.CRYPTOBOT_REGISTRATION).toBe('open');
    expect(authThrottleConfig(env)).toMatchObject({
      signInPerUsername: 3,
      windowMs: 120_000,
      registrationsPerIp: 9,
      registrationWindowMs: 1_800_000,
      apiKeyPerKey: 4,
    });
  });

  it('refuse bad values at start, one line per variable naming it', () => {
    try {
      parseEnv({
        ...valid,
        CRYPTOBOT_REGISTRATION: 'public',
        CRYPTOBOT_SIGN_IN_FAILURES_PER_IP: '0',
        CRYPTOBOT_AUTH_THROTTLE_WINDOW_MINUTES: 'soon',
        CRYPTOBOT_REGISTRATION_WINDOW_MINUTES: '99999',
      });
      expect.unreachable('bad settings must stop the start');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          'CRYPTOBOT_REGISTRATION must be open, invite or closed',
          'CRYPTOBOT_SIGN_IN_FAILURES_PER_IP must be 1 to 100000',
          expect.stringMatching(/^CRYPTOBOT_AUTH_THROTTLE_WINDOW_MINUTES /),
          'CRYPTOBOT_REGISTRATION_WINDOW_MINUTES must be 1 to 1440 minutes',
        ]),
      );
      expect(problems).toHaveLength(4);
    }
  });

  it('read the registration mode on each call, so a test can switch it', () => {
    expect(registrationMode({})).toBe('invite');
    expect(registrationMode({ CRYPTOBOT_REGISTRATION: 'closed' })).toBe('closed');
    expect(registrationMode({ CRYPTOBOT_REGISTRATION: '' }), 'empty means unset').toBe('invite');
  });
});
