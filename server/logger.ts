import pino from 'pino';
import { ConfigError, loggerSettings } from '@/server/env';

/**
 * Structured JSON logs. Anything that could hold a secret is redacted by key, wherever it appears.
 * Log ids (userId, orderId, clientOrderId, jobId, requestId), never credentials.
 */
export const REDACTED_KEYS = [
  'password',
  'passwordHash',
  'secret',
  'apiKey',
  'apiSecret',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'cookie',
  'credentials',
  'key',
  'masterKey',
];

/**
 * Read when the first module logs, before a process's own start-up check can run: a bad LOG_LEVEL or
 * CRYPTOBOT_SERVICE stops the process here, with one line naming it, as that check would.
 */
function settingsOrExit(): { level: string; service: string } {
  try {
    return loggerSettings();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`error: ${problem}`);
    process.exit(1);
  }
}

const settings = settingsOrExit();

export const logger = pino({
  level: settings.level,
  base: { service: settings.service },
  redact: {
    paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]),
    censor: '[redacted]',
  },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export type Logger = typeof logger;
