import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The layer rules of ARCHITECTURE.md must fail a lint run, not merely be documented. */
const eslint = new ESLint({ cwd: process.cwd() });

async function problems(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
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
  ])('refuses %s in %s', async (code, file) => {
    expect((await problems(`${code}\nexport const x = 1;\n`, file)).length, `${file} must not ${code}`).toBe(1);
  });

  it.each([
    ["import { timeframeToMs } from '@/server/core/timeframe';", 'server/exchange/example.ts'],
    ["import { getDatabase } from '@/db/client';", 'server/services/example.ts'],
    ["import { createDatabase } from '@/db/client';", 'server/worker/example.ts'],
    ["import type { AppRouter } from '@/server/api/root';", 'components/example.tsx'],
    ["import * as ccxt from 'ccxt';", 'server/exchange/example.ts'],
  ])('allows %s in %s', async (code, file) => {
    expect(await problems(`${code}\nexport const x = 1;\n`, file)).toEqual([]);
  });
});
