import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./', import.meta.url)) } },
  test: {
    include: ['server/**/*.test.ts', 'db/**/*.test.ts', 'app/**/*.test.ts', 'components/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    // Nothing leaves the machine: a service that asks an exchange without a test server of its own (the screens'
    // market precision, for one) reaches a closed local port and gets "unknown", never the real api.binance.com.
    // A test that runs the local exchange server sets CRYPTOBOT_EXCHANGE_URLS itself.
    env: { CRYPTOBOT_EXCHANGE_URLS: JSON.stringify({ binance: 'http://127.0.0.1:9' }) },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // DB-backed test files share one database; each file cleans up after itself.
    fileParallelism: true,
    pool: 'forks',
    // Vitest's default is cores − 1 workers: one at a time on a 2-core CI machine, where most files wait on PostgreSQL.
    maxWorkers: 2,
  },
});
