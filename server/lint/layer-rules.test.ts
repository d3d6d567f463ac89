import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The layer rules of ARCHITECTURE.md must fail a lint run, not merely be documented. */
const eslint = new ESLint({ cwd: process.cwd() });

async function problems(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'layers/no-relative-escape').map((m) => m.message);
}

describe('layer import rules', () => {
  it.each([
    ["import { eq } from 'drizzle-orm';", 'server/core/example.ts'],
    ["import { NextResponse } from 'next/server';", 'server/core/example.ts'],
    ["import { db } from '@/db/client';", 'server/core/example.ts'],
    ["import fs from 'node:fs';", 'server/core/example.ts'],
    ["import { redirect } from 'next/navigation';", 'server/worker/example.ts'],
    ["import { appRouter } from '@/server/api/root';", 'server/worker/example.ts'],
    ["import { cookies } from 'next/headers';", 'server/services/example.ts'],
    ["import { getDatabase } from '@/db/client';", 'components/example.tsx'],
    ["import { getDatabase } from '@/db/client';", 'server/exchange/example.ts'],
    ["import * as ccxt from 'ccxt';", 'server/services/example.ts'],
    ["import * as ccxt from 'ccxt';", 'server/worker/example.ts'],
    ["import * as ccxt from 'ccxt';", 'app/api/v1/example/route.ts'],
    // services sit below auth, the worker below the CLI
    ["import { sessionUser } from '@/server/auth/session';", 'server/services/example.ts'],
    ["import { assertDatabaseReachable } from '@/server/cli/db-tools';", 'server/worker/example.ts'],
    ["import { seedDemo } from '@/server/cli/db-seed';", 'server/services/example.ts'],
    // pages and route handlers never reach the database or the exchange themselves
    ["import { getDatabase } from '@/db/client';", 'app/(app)/example/page.tsx'],
    ["import { users } from '@/db/schema/users';", 'app/(app)/example/page.tsx'],
    ["import { eq } from 'drizzle-orm';", 'app/api/v1/example/route.ts'],
    ["import { createPaperExecution } from '@/server/exchange/paper';", 'app/api/v1/example/route.ts'],
    ["import { startWorker } from '@/server/worker/main';", 'app/(app)/example/page.tsx'],
    // the API layer wraps services: no SQL, no exchange, no worker, no UI
    ["import { sql } from 'drizzle-orm';", 'server/api/routers/example.ts'],
    ["import { createPaperExecution } from '@/server/exchange/paper';", 'server/api/routers/example.ts'],
    ["import { startWorker } from '@/server/worker/main';", 'server/api/example.ts'],
    ["import { Button } from '@/components/ui/button';", 'server/api/example.ts'],
    // a relative path that leaves its layer is no way around the rules
    ["import { getDatabase } from '../../db/client';", 'server/core/example.ts'],
    ["import { listOrders } from '../orders/queries';", 'server/core/example.ts'],
    ["import { getDatabase } from '../../../db/client';", 'app/(app)/example/page.tsx'],
    ["import { runBacktest } from '../../core/backtest/engine';", 'server/services/backtests/example.ts'],
    ["export { appRouter } from '../api/root';", 'server/worker/example.ts'],
    // user scripts run only in the worker: the web app never loads the native sandbox
    ["import ivm from 'isolated-vm';", 'app/api/v1/example/route.ts'],
    ["import { withScript } from '@/server/services/scripts/sandbox';", 'server/api/routers/example.ts'],
    ["import { runScriptBacktest } from '@/server/services/scripts/run';", 'app/(app)/example/page.tsx'],
  ])('refuses %s in %s', async (code, file) => {
    expect((await problems(`${code}\nexport const x = 1;\n`, file)).length, `${file} must not ${code}`).toBe(1);
  });

  it.each([
    ["import { timeframeToMs } from '@/server/core/timeframe';", 'server/exchange/example.ts'],
    ["import { getDatabase } from '@/db/client';", 'server/services/example.ts'],
    ["import { createDatabase } from '@/db/client';", 'server/worker/example.ts'],
    ["import type { AppRouter } from '@/server/api/root';", 'components/example.tsx'],
    ["import * as ccxt from 'ccxt';", 'server/exchange/example.ts'],
    ["import * as ccxt from 'ccxt';", 'server/testing/exchange/example.ts'],
    ["import { currentUser } from '@/server/auth/session';", 'app/(app)/example/page.tsx'],
    ["import { json, withUser } from '@/server/api/rest';", 'app/api/v1/example/route.ts'],
    ["import { getDatabase } from '@/db/client';", 'app/api/v1/example/example.test.ts'],
    ["import { listOrders } from '@/server/services/orders';", 'server/api/routers/example.ts'],
    ["import { getDatabase } from '@/db/client';", 'server/api/trpc-example.ts'],
    ["import { assertDatabaseReachable } from '@/db/admin';", 'server/worker/example.ts'],
    ["import { seriesFromRows } from '../candles';", 'server/core/backtest/example.ts'],
    ["import { hashPassword } from './password';", 'server/services/auth/example.ts'],
  ])('allows %s in %s', async (code, file) => {
    expect(await problems(`${code}\nexport const x = 1;\n`, file)).toEqual([]);
  });
});

describe('configuration rule: only server/env.ts reads process.env', () => {
  const envReads = async (code: string, filePath: string) => {
    const [result] = await eslint.lintText(code, { filePath });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-properties').map((m) => m.message);
  };

  it.each([
    ["export const level = process.env.LOG_LEVEL ?? 'info';", 'server/logger-example.ts'],
    ["export const url = process.env['DATABASE_URL'];", 'db/example.ts'],
    ['export const { env } = process;', 'server/services/example.ts'],
    ['export const url = process.env.NEXTAUTH_URL;', 'app/api/v1/example/route.ts'],
    ['export const url = process.env.DATABASE_URL;', 'server/cli/example.ts'],
    ['export const ms = Number(process.env.RECONCILE_INTERVAL_MS);', 'server/worker/example.ts'],
  ])('refuses %s in %s', async (code, file) => {
    expect((await envReads(`${code}\n`, file)).length, `${file} must read its configuration through server/env.ts`).toBe(1);
  });

  it.each([
    ['export const url = process.env.DATABASE_URL;', 'server/env.ts'],
    ['export const url = process.env.DATABASE_URL;', 'server/worker/example.test.ts'],
    ['export const port = process.env.E2E_PORT;', 'playwright.config.ts'],
    ['export const url = process.env.DATABASE_URL;', 'bench/example.ts'],
  ])('allows %s in %s', async (code, file) => {
    expect(await envReads(`${code}\n`, file)).toEqual([]);
  });
});
