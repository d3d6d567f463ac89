// @ts-check
import tseslint from 'typescript-eslint';

/**
 * The layer rules of ARCHITECTURE.md, enforced: core imports nothing of ours and no framework; exchange
 * only core; services never next/* or app; the worker never next/*, app/ or components/.
 */
const FRAMEWORK = ['next', 'next/*', 'next-auth', 'next-auth/*', 'react', 'react-dom', '@trpc/*', 'drizzle-orm', 'drizzle-orm/*', 'postgres', 'ccxt'];
const restrict = (groups, message) => ({ 'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }] });

export default tseslint.config(
  { ignores: ['node_modules/**', '.next/**', '.next-*/**', '.data/**', 'db/migrations/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['server/core/**/*.ts'],
    ignores: ['server/core/**/*.test.ts'],
    rules: restrict([...FRAMEWORK, '@/db/*', '@/server/services/*', '@/server/api/*', '@/server/exchange/*', '@/server/worker/*', '@/app/*', '@/components/*', 'node:fs', 'fs', 'node:http', 'node:net'], 'server/core is pure domain code: no framework, no I/O, nothing of ours outside core.'),
  },
  {
    // One place talks to ccxt: the exchange layer.
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['server/exchange/**', 'server/core/**'],
    rules: restrict(['ccxt', 'ccxt/*'], 'only server/exchange talks to ccxt; use its adapter and catalog.'),
  },
  {
    files: ['server/exchange/**/*.ts'],
    rules: restrict(['next', 'next/*', 'react', '@trpc/*', '@/db/*', '@/server/services/*', '@/server/api/*', '@/server/worker/*', '@/app/*', '@/components/*'], 'server/exchange may import server/core only.'),
  },
  {
    files: ['server/services/**/*.ts'],
    rules: restrict(['next', 'next/*', 'next-auth', 'next-auth/*', 'react', '@trpc/*', 'ccxt', 'ccxt/*', '@/server/api/*', '@/server/worker/*', '@/app/*', '@/components/*'], 'services take db as an argument and never import next, ccxt (use server/exchange), the API layer or the UI.'),
  },
  {
    files: ['server/worker/**/*.ts', 'server/cli/**/*.ts'],
    rules: restrict(['next', 'next/*', 'next-auth', 'next-auth/*', 'react', 'react-dom', 'server-only', 'ccxt', 'ccxt/*', '@/app/*', '@/components/*', '@/server/api/*', '@/server/auth/next-auth', '@/server/auth/session'], 'the worker and the CLI never import next, the web app or the API layer.'),
  },
  {
    // One configuration module per process: only server/env.ts reads process.env (validated at start, README
    // "Configuration"). Exceptions: tool configs read before our code loads, tests, e2e and bench.
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    ignores: [
      'server/env.ts',
      '**/*.test.ts',
      '**/*.spec.ts',
      'e2e/**',
      'bench/**',
      'next.config.js',
      'playwright.config.ts',
      'vitest.config.ts',
      'drizzle.config.ts',
      // TODO(merge): its lenient envNumber goes with the deployment-runner rewrite (the lease is in server/env.ts).
      'server/worker/deployment-runner.ts',
    ],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through server/env.ts (one validated module per process), not process.env.' }] },
  },
  {
    files: ['components/**/*.ts', 'components/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@/db/*', '@/server/services/*', '@/server/exchange/*', '@/server/worker/*', 'ccxt'], message: 'components use the tRPC client and shared schemas, never server code directly.' }] }],
    },
  },
);
