// @ts-check
import path from 'node:path';
import tseslint from 'typescript-eslint';

/**
 * The layer rules of ARCHITECTURE.md, enforced: core imports nothing of ours and no framework; exchange
 * only core; services never next/*, the API, auth or the CLI; the API never the worker, the exchange or the
 * UI; pages and route handlers (app/) never the database or the exchange; the worker never next/*, app/,
 * components/ or the CLI. A relative import that leaves its layer must be written `@/…`, so these rules see it.
 */
const FRAMEWORK = ['next', 'next/*', 'next-auth', 'next-auth/*', 'react', 'react-dom', '@trpc/*', 'drizzle-orm', 'drizzle-orm/*', 'postgres', 'ccxt'];
/** The sandbox of user scripts: native (isolated-vm), worker only; the web app never loads it (it deploys on Vercel). */
const SANDBOX = [
  'isolated-vm',
  '@/server/services/scripts/sandbox',
  '@/server/services/scripts/run',
  '@/server/services/scripts/live',
  '@/server/services/scripts/sweep',
  '@/server/services/scripts/deployment-plots',
];
const restrict = (groups, message) => ({ 'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }] });

/** The layer a project path belongs to: `server/<folder>` (or the file itself directly under server/), else the top folder. */
function layerOf(projectPath) {
  const parts = projectPath.split('/');
  if (parts[0] === 'server' && parts.length > 1)
    return parts
      .slice(0, 2)
      .join('/')
      .replace(/\.tsx?$/, '');
  return parts.length > 1 ? parts[0] : '';
}

/**
 * `../../core/x` from server/services slips past every `@/server/core/*` pattern above: a relative import
 * may stay inside its layer, and one that leaves it is reported with the `@/…` spelling to use instead.
 */
const noRelativeEscape = {
  meta: { type: 'problem', schema: [], messages: { escape: "'{{source}}' leaves {{layer}}: import '@/{{target}}' so the layer rules apply." } },
  create(context) {
    const file = path.relative(context.cwd, context.filename).split(path.sep).join('/');
    const layer = layerOf(file);
    const check = (node) => {
      const source = node?.value;
      if (!layer || typeof source !== 'string' || !/^\.\.?\//.test(source)) return;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), source));
      if (layerOf(target) !== layer) context.report({ node, messageId: 'escape', data: { source, layer, target } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source.type === 'Literal' ? node.source : null),
    };
  },
};

/** What the processes outside the web app (the worker, the CLI) never import: next, the web app, the API layer, ccxt. */
const OUTSIDE_THE_WEB_APP = [
  'next',
  'next/*',
  'next-auth',
  'next-auth/*',
  'react',
  'react-dom',
  'server-only',
  'ccxt',
  'ccxt/*',
  '@/app/*',
  '@/components/*',
  '@/server/api/*',
  '@/server/auth/next-auth',
  '@/server/auth/session',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.next/**',
      '.next-*/**',
      '.data/**',
      'db/migrations/**',
      'test-results/**',
      'playwright-report/**',
      'next-env.d.ts',
      'bench/results/**',
    ],
  },
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
    rules: restrict(
      [
        ...FRAMEWORK,
        '@/db/*',
        '@/server/services/*',
        '@/server/api/*',
        '@/server/exchange/*',
        '@/server/worker/*',
        '@/app/*',
        '@/components/*',
        'node:fs',
        'fs',
        'node:http',
        'node:net',
      ],
      'server/core is pure domain code: no framework, no I/O, nothing of ours outside core.',
    ),
  },
  {
    // One place talks to ccxt: the exchange layer (and the test exchange that mimics Binance for ccxt).
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['server/exchange/**', 'server/core/**', 'server/testing/exchange/**'],
    rules: restrict(['ccxt', 'ccxt/*'], 'only server/exchange talks to ccxt; use its adapter and catalog.'),
  },
  {
    files: ['server/exchange/**/*.ts'],
    rules: restrict(
      ['next', 'next/*', 'react', '@trpc/*', '@/db/*', '@/server/services/*', '@/server/api/*', '@/server/worker/*', '@/app/*', '@/components/*'],
      'server/exchange may import server/core only.',
    ),
  },
  {
    files: ['server/services/**/*.ts'],
    rules: restrict(
      [
        'next',
        'next/*',
        'next-auth',
        'next-auth/*',
        'react',
        '@trpc/*',
        'ccxt',
        'ccxt/*',
        '@/server/api/*',
        '@/server/auth/*',
        '@/server/worker/*',
        '@/server/cli/*',
        '@/app/*',
        '@/components/*',
      ],
      'services take db as an argument and never import next, ccxt (use server/exchange), the API or auth layer, the worker, the CLI or the UI.',
    ),
  },
  {
    files: ['server/api/**/*.ts'],
    ignores: ['server/api/**/*.test.ts'],
    rules: restrict(
      [
        'react',
        'react-dom',
        'ccxt',
        'ccxt/*',
        'drizzle-orm',
        'drizzle-orm/*',
        'postgres',
        '@/server/exchange/*',
        '@/server/worker/*',
        '@/server/cli/*',
        '@/server/testing/*',
        '@/app/*',
        '@/components/*',
        ...SANDBOX,
      ],
      'server/api wraps services for tRPC and REST: it never queries the database itself, talks to the exchange, or imports the worker, the CLI, the UI or the script sandbox.',
    ),
  },
  {
    files: ['app/**/*.ts', 'app/**/*.tsx'],
    ignores: ['app/**/*.test.ts'],
    rules: restrict(
      [
        'ccxt',
        'ccxt/*',
        'drizzle-orm',
        'drizzle-orm/*',
        'postgres',
        '@/db/*',
        '@/server/exchange/*',
        '@/server/worker/*',
        '@/server/cli/*',
        '@/server/testing/*',
        ...SANDBOX,
      ],
      'app/ holds routes only: pages and route handlers reach data through server/api, server/auth or a service, never the database, the exchange or the script sandbox directly.',
    ),
  },
  {
    files: ['server/worker/**/*.ts'],
    rules: restrict([...OUTSIDE_THE_WEB_APP, '@/server/cli/*'], 'the worker never imports next, the web app, the API layer or the CLI.'),
  },
  {
    files: ['server/cli/**/*.ts'],
    rules: restrict(OUTSIDE_THE_WEB_APP, 'the CLI never imports next, the web app or the API layer.'),
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
    ],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read configuration through server/env.ts (one validated module per process), not process.env.' },
      ],
    },
  },
  {
    files: ['components/**/*.ts', 'components/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@/db/*', '@/server/services/*', '@/server/exchange/*', '@/server/worker/*', 'ccxt', 'isolated-vm'],
              message: 'components use the tRPC client and shared schemas, never server code directly.',
            },
          ],
        },
      ],
    },
  },
  {
    // bench/ measures the product from outside and is not one of its layers.
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['bench/**'],
    plugins: { layers: { rules: { 'no-relative-escape': noRelativeEscape } } },
    rules: { 'layers/no-relative-escape': 'error' },
  },
);
