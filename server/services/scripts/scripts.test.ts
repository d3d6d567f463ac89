/* eslint-disable no-restricted-imports -- these tests drive the real worker job runner in-process */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '@/server/core/backtest';
import { AppError } from '@/server/core/errors';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { createStrategy } from '@/server/core/strategies';
import { registerUser } from '@/server/services/auth/users';
import { BACKTEST_JOB_TYPE, createBacktest, getBacktestForUser } from '@/server/services/backtests/backtests';
import { backtestRunHandler } from '@/server/services/backtests/run-job';
import { readCandleSeries, upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { logger } from '@/server/logger';
import { createJobRunner } from '@/server/worker/job-runner';
import {
  addScriptVersion,
  cloneScriptForUser,
  createScriptForUser,
  getScriptForUser,
  listScriptsForUser,
  publishScriptVersion,
  ScriptDiagnosticsError,
  sourceHash,
} from './scripts';

let t: TestDatabase;
let alice: string;
let bob: string;
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const START = Date.parse('2018-01-01T00:00:00Z');
const END = Date.parse('2018-03-01T00:00:00Z');
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };
const sma = SCRIPT_TEMPLATES.find((s) => s.type === 'sma_crossover')!.source;

beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'sc-alice', password: 'long enough pw' })).id;
  bob = (await registerUser(t.db, { username: 'sc-bob', password: 'long enough pw' })).id;
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));
}, 60_000);
afterAll(() => t.destroy());

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call must fail with an AppError').toBeInstanceOf(AppError);
  return error as AppError;
}

async function runJobsUntil(done: () => Promise<boolean>): Promise<void> {
  const controller = new AbortController();
  const runner = createJobRunner({ [BACKTEST_JOB_TYPE]: backtestRunHandler }, { pollMs: 50, leaseMs: 30_000 });
  const stop = await runner.start({ database: t, workerId: 'scripts-test', logger, signal: controller.signal });
  try {
    for (let i = 0; i < 600 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    controller.abort();
    await stop();
  }
}

describe('scripts as data', () => {
  it('saves immutable, numbered versions with a content hash; a bad save is diagnostics with line and column', async () => {
    const script = await createScriptForUser(t.db, alice, { name: 'My SMA' });
    const bad = await failure(addScriptVersion(t.db, alice, script.id, sma.replace('const parameters = {', 'const parameters = {{')));
    expect(bad).toBeInstanceOf(ScriptDiagnosticsError);
    expect(bad.code).toBe('UNPROCESSABLE');
    expect((bad as ScriptDiagnosticsError).diagnostics[0]).toMatchObject({ line: 3, column: expect.any(Number) as number });

    const notLiteral = await failure(addScriptVersion(t.db, alice, script.id, sma.replace('default: 10,', 'default: Math.round(10),')));
    expect((notLiteral as ScriptDiagnosticsError).diagnostics[0]!.message).toMatch(/^parameters: must be written as a literal/);
    const badSchema = await failure(addScriptVersion(t.db, alice, script.id, sma.replace('default: 10,', 'default: 10.5,')));
    expect((badSchema as ScriptDiagnosticsError).diagnostics[0]!.message).toBe(
      'parameters.fastPeriod.default: default of an integer parameter must be an integer',
    );
    const badImport = await failure(addScriptVersion(t.db, alice, script.id, `import fs from 'node:fs';\n${sma}`));
    expect((badImport as ScriptDiagnosticsError).diagnostics[0]).toEqual({ line: 1, column: 16, message: 'a script can import only "@cryptobot/sdk"' });

    const v1 = await addScriptVersion(t.db, alice, script.id, sma);
    expect(v1).toMatchObject({ version: 1, type: `script:${script.id}@1`, hash: sourceHash(sma) });
    expect(Object.keys(v1.parameters)).toEqual(['fastPeriod', 'slowPeriod']);
    const v2 = await addScriptVersion(t.db, alice, script.id, sma.replace('default: 10,', 'default: 12,'));
    expect(v2.version).toBe(2);
    expect(v2.hash).not.toBe(v1.hash);
    const view = await getScriptForUser(t.db, alice, script.id);
    expect(view.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(view.versions[1]!.source, 'version 1 is unchanged by version 2').toBe(sma);
  });

  it('is private to its owner until a version is published; then others read that version only, and may clone it', async () => {
    const script = await createScriptForUser(t.db, alice, { name: 'Private' });
    await addScriptVersion(t.db, alice, script.id, sma);
    await addScriptVersion(t.db, alice, script.id, sma.replace('default: 10,', 'default: 11,'));
    expect((await failure(getScriptForUser(t.db, bob, script.id))).code).toBe('NOT_FOUND');
    expect((await failure(addScriptVersion(t.db, bob, script.id, sma))).code, 'never writable by another user').toBe('NOT_FOUND');
    expect((await failure(cloneScriptForUser(t.db, bob, script.id, {}))).code).toBe('NOT_FOUND');
    expect((await failure(createStrategyForUser(t.db, bob, { name: 's', type: `script:${script.id}@1`, ...market }))).details?.fields?.[0]?.field).toBe('type');

    await publishScriptVersion(t.db, alice, script.id, 1);
    const seen = await getScriptForUser(t.db, bob, script.id);
    expect(seen.owned).toBe(false);
    expect(
      seen.versions.map((v) => v.version),
      'only the published version',
    ).toEqual([1]);
    expect((await listScriptsForUser(t.db, bob, { published: true })).map((s) => s.id)).toContain(script.id);
    expect((await listScriptsForUser(t.db, bob)).map((s) => s.id)).not.toContain(script.id);

    const copy = await cloneScriptForUser(t.db, bob, script.id, {});
    expect(copy).toMatchObject({ owned: true, name: 'Private (copy)', clonedFrom: `script:${script.id}@1` });
    expect(copy.versions[0]).toMatchObject({ version: 1, hash: sourceHash(sma) });
  });

  it('a strategy pins a version: backtests run it in the worker, record its hash, and equal the built-in', async () => {
    const script = await createScriptForUser(t.db, alice, { name: 'Pinned' });
    const v1 = await addScriptVersion(t.db, alice, script.id, sma);
    const strategy = await createStrategyForUser(t.db, alice, { name: 'script SMA', type: v1.type, params: { fastPeriod: 8, slowPeriod: 21 }, ...market });
    expect((await failure(createStrategyForUser(t.db, alice, { name: 'bad', type: v1.type, params: { fastPeriod: 0 }, ...market }))).details?.fields).toEqual([
      { field: 'params.fastPeriod', message: 'fastPeriod must be at least 1' },
    ]);
    // An edit after the strategy was made: a new version, which the strategy does not run.
    await addScriptVersion(t.db, alice, script.id, sma.replace('this.order > 0 && this.previousOrder <= 0', 'false'));

    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    await runJobsUntil(async () => ['completed', 'failed'].includes((await getBacktestForUser(t.db, alice, queued.id)).status));
    const done = await getBacktestForUser(t.db, alice, queued.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('completed');
    expect(done.scriptHash, 'the version that ran').toBe(v1.hash);

    const series = await readCandleSeries(t.db, market, START, END);
    const builtIn = runBacktest(series, createStrategy('sma_crossover', { fastPeriod: 8, slowPeriod: 21 }), { ...config, timeframe: '1h' });
    expect(builtIn.trades.length).toBeGreaterThan(0);
    expect(done.metrics).toEqual(builtIn.metrics);
    expect(done.trades.length).toBe(builtIn.trades.length);
  });

  it('a script that fails at run time fails its backtest with the script error, and the worker carries on', async () => {
    const script = await createScriptForUser(t.db, alice, { name: 'Throws' });
    const v1 = await addScriptVersion(
      t.db,
      alice,
      script.id,
      withLog(sma, "if (i === 40 || i === 99) log('reached bar', i);\n    if (i === 100) throw new Error('boom at 100');"),
    );
    const strategy = await createStrategyForUser(t.db, alice, { name: 'throws', type: v1.type, ...market });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    await runJobsUntil(async () => ['completed', 'failed'].includes((await getBacktestForUser(t.db, alice, queued.id)).status));
    const done = await getBacktestForUser(t.db, alice, queued.id);
    expect(done.status).toBe('failed');
    expect(done.error).toBe('Error: boom at 100');
    expect(done.scriptLog, 'the lines printed before the throw are kept with the failure').toEqual({ lines: ['reached bar 40', 'reached bar 99'], dropped: 0 });
  });

  it("a backtest stores what its script printed, and a built-in's has none", async () => {
    const script = await createScriptForUser(t.db, alice, { name: 'Talks' });
    const v1 = await addScriptVersion(t.db, alice, script.id, withLog(sma, "if (i % 500 === 0) log('bar', i, 'close', series.close[i]);"));
    const strategy = await createStrategyForUser(t.db, alice, { name: 'talks', type: v1.type, ...market });
    const builtIn = await createStrategyForUser(t.db, alice, { name: 'quiet', type: 'sma_crossover', ...market });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    const plain = await createBacktest(t.db, alice, { strategyId: builtIn.id, start: START, end: END, ...config });
    const finished = async (id: string) => ['completed', 'failed'].includes((await getBacktestForUser(t.db, alice, id)).status);
    await runJobsUntil(async () => (await finished(queued.id)) && (await finished(plain.id)));
    const done = await getBacktestForUser(t.db, alice, queued.id);
    expect(done.status).toBe('completed');
    const series = await readCandleSeries(t.db, market, START, END);
    const expected = Array.from({ length: Math.ceil(series.length / 500) }, (_, k) => `bar ${k * 500} close ${series.close[k * 500]}`);
    expect(done.scriptLog).toEqual({ lines: expected, dropped: 0 });
    expect((await getBacktestForUser(t.db, alice, plain.id)).scriptLog, 'a built-in prints nothing: null, not empty').toBeNull();
  });
});

/** `sma` printing with the SDK's log: `code` runs at the start of each bar's update (bar index `i`, `series` in scope). */
function withLog(source: string, code: string): string {
  return source
    .replace('import { BarStrategy,', 'import { log, BarStrategy,')
    .replace('this.sums.push(series.close[i]!);', `${code}\n    this.sums.push(series.close[i]!);`);
}
