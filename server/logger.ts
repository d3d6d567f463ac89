import pino from 'pino';

/**
 * Structured JSON logs. Anything that could hold a secret is redacted by key, wherever it appears.
 * Log ids (userId, orderId, clientOrderId, jobId, requestId), never credentials.
 */
export const REDACTED_KEYS = [
  'password', 'passwordHash', 'secret', 'apiKey', 'apiSecret', 'token', 'accessToken', 'refreshToken',
  'authorization', 'cookie', 'credentials', 'key', 'masterKey',
];

export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { service: process.env.CRYPTOBOT_SERVICE ?? 'web' },
  redact: {
    paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]),
    censor: '[redacted]',
  },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export type Logger = typeof logger;
