import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/server/core/errors';
import { registerUser } from '@/server/services/auth/users';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { nextStrategyStatus, STRATEGY_TRANSITIONS } from './lifecycle';
import {
  applyStrategyEvent,
  archiveStrategyForUser,
  cloneStrategyForUser,
  createStrategyForUser,
  getStrategyForUser,
  listStrategiesForUser,
  listStrategyTypes,
  updateStrategyForUser,
} from './strategies';

let t: TestDatabase;
let alice: string;
let bob: string;
beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'alice', password: 'long enough pw' })).id;
  bob = (await registerUser(t.db, { username: 'bob', password: 'long enough pw' })).id;
});
afterAll(() => t.destroy());

const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call must fail with an AppError').toBeInstanceOf(AppError);
  return error as AppError;
}

describe('strategy types', () => {
  it('lists every registry type with its parameter schema, common parameters included', () => {
    const types = listStrategyTypes();
    expect(types.map((s) => s.type).sort()).toEqual(['dca', 'donchian_breakout', 'ema_crossover', 'macd', 'mean_reversion', 'rsi', 'signal', 'sma_crossover']);
    const sma = types.find((s) => s.type === 'sma_crossover')!;
    expect(sma.parameters.fastPeriod, 'own parameters carry default, bounds and help').toMatchObject({ type: 'integer', default: 10, common: false });
    expect(sma.parameters.fastPeriod!.min).toBeTypeOf('number');
    expect(sma.parameters.fastPeriod!.description.length).toBeGreaterThan(0);
    expect(sma.parameters.stopLossPct, 'common parameters are listed too').toMatchObject({
      type: 'float',
      default: null,
      common: true,
      min: 0,
      exclusiveMin: true,
    });
  });
});

describe('strategies', () => {
  it('creates a draft with defaults filled in, lists, gets and renames it', async () => {
    const created = await createStrategyForUser(t.db, alice, { name: 'Trend', type: 'sma_crossover', params: { fastPeriod: 5 }, ...market });
    expect(created).toMatchObject({ name: 'Trend', type: 'sma_crossover', status: 'draft', ...market, editable: true, actions: ['archive'] });
    expect(created.params, 'missing params take their defaults').toMatchObject({ fastPeriod: 5, slowPeriod: 30, positionSizePct: 100, stopLossPct: null });
    expect((await listStrategiesForUser(t.db, alice)).map((s) => s.id)).toContain(created.id);
    expect(await getStrategyForUser(t.db, alice, created.id)).toEqual(created);
    const renamed = await updateStrategyForUser(t.db, alice, created.id, { name: 'Trend v2' });
    expect(renamed.name).toBe('Trend v2');
  });

  it('refuses params outside their range, of the wrong type, unknown or breaking a cross rule, naming params.<name>', async () => {
    const bad = async (params: Record<string, unknown>) =>
      (await appError(createStrategyForUser(t.db, alice, { name: 'x', type: 'sma_crossover', params, ...market }))).details?.fields;
    expect(await bad({ fastPeriod: 0 })).toEqual([{ field: 'params.fastPeriod', message: expect.stringContaining('fastPeriod') }]);
    expect(await bad({ fastPeriod: 'ten' })).toEqual([{ field: 'params.fastPeriod', message: expect.stringContaining('fastPeriod') }]);
    expect(await bad({ fastPeriod: 2.5 })).toEqual([{ field: 'params.fastPeriod', message: 'fastPeriod must be an integer' }]);
    expect((await bad({ fastPeriod: 40, slowPeriod: 20 }))![0]!.field, 'fast must stay below slow').toMatch(/^params\.(fastPeriod|slowPeriod)$/);
    expect((await bad({ nope: 1 }))![0]).toMatchObject({ field: 'params.nope' });
    const unknownType = await appError(createStrategyForUser(t.db, alice, { name: 'x', type: 'no_such', params: {}, ...market }));
    expect(unknownType.code).toBe('UNPROCESSABLE');
    expect(unknownType.details?.fields?.[0]?.field).toBe('type');
    expect(
      (await listStrategiesForUser(t.db, alice)).some((s) => s.name === 'x'),
      'nothing invalid was stored',
    ).toBe(false);
  });

  it('merges edited params over the stored ones and validates the result', async () => {
    const s = await createStrategyForUser(t.db, alice, { name: 'Edit me', type: 'sma_crossover', params: { fastPeriod: 5, slowPeriod: 50 }, ...market });
    const edited = await updateStrategyForUser(t.db, alice, s.id, { params: { slowPeriod: 60 } });
    expect(edited.params).toMatchObject({ fastPeriod: 5, slowPeriod: 60 });
    const error = await appError(updateStrategyForUser(t.db, alice, s.id, { params: { fastPeriod: -1 } }));
    expect(error.details?.fields?.[0]?.field).toBe('params.fastPeriod');
  });

  it('follows the lifecycle table: backtested, back to draft on edit, archive, restore; trading statuses are not set here', async () => {
    const s = await createStrategyForUser(t.db, alice, { name: 'Life', type: 'rsi', params: {}, ...market });
    expect(await applyStrategyEvent(t.db, alice, s.id, 'backtest_completed')).toBe(true);
    expect((await getStrategyForUser(t.db, alice, s.id)).status).toBe('backtested');
    expect((await updateStrategyForUser(t.db, alice, s.id, { name: 'Life 2' })).status, 'a rename keeps the status').toBe('backtested');
    expect((await updateStrategyForUser(t.db, alice, s.id, { params: { period: 10 } })).status, 'new params need a new backtest').toBe('draft');

    const toPaper = await appError(updateStrategyForUser(t.db, alice, s.id, { status: 'paper' }));
    expect(toPaper.code, 'paper/live come with the trading work').toBe('CONFLICT');

    const archived = await archiveStrategyForUser(t.db, alice, s.id);
    expect(archived).toMatchObject({ status: 'archived', editable: false, actions: ['restore'] });
    expect(
      (await listStrategiesForUser(t.db, alice)).some((x) => x.id === s.id),
      'archived ones are hidden by default',
    ).toBe(false);
    expect((await listStrategiesForUser(t.db, alice, { includeArchived: true })).some((x) => x.id === s.id)).toBe(true);
    expect((await appError(updateStrategyForUser(t.db, alice, s.id, { params: { period: 12 } }))).code, 'archived strategies are read-only').toBe('CONFLICT');
    expect(await applyStrategyEvent(t.db, alice, s.id, 'backtest_completed'), 'no transition from archived').toBe(false);
    expect((await updateStrategyForUser(t.db, alice, s.id, { status: 'draft' })).status, 'restore').toBe('draft');
  });

  it('has one transition table covering every status; trading statuses only via their events', () => {
    for (const status of Object.keys(STRATEGY_TRANSITIONS) as Array<keyof typeof STRATEGY_TRANSITIONS>) {
      expect(nextStrategyStatus(status, 'restore') === null || status === 'archived', `${status}: only archived restores`).toBe(true);
    }
    expect(nextStrategyStatus('live', 'archive'), 'a live strategy must be stopped before archiving').toBeNull();
    expect(nextStrategyStatus('backtested', 'start_paper')).toBe('paper');
    expect(nextStrategyStatus('draft', 'start_paper'), 'no paper trading without a backtest').toBeNull();
    expect(nextStrategyStatus('draft', 'start_signals'), 'a signal strategy has nothing to backtest').toBe('paper');
  });

  it('clones as a new draft', async () => {
    const s = await createStrategyForUser(t.db, alice, { name: 'Orig', type: 'macd', params: { fastPeriod: 8 }, ...market });
    await applyStrategyEvent(t.db, alice, s.id, 'backtest_completed');
    const copy = await cloneStrategyForUser(t.db, alice, s.id);
    expect(copy).toMatchObject({ name: 'Orig (copy)', type: 'macd', status: 'draft', params: s.params });
    expect(copy.id).not.toBe(s.id);
  });

  it("never shows, edits, archives or clones another user's strategy (404, existence not leaked)", async () => {
    const s = await createStrategyForUser(t.db, alice, { name: 'Mine', type: 'dca', params: {}, ...market });
    for (const call of [
      () => getStrategyForUser(t.db, bob, s.id),
      () => updateStrategyForUser(t.db, bob, s.id, { name: 'stolen' }),
      () => archiveStrategyForUser(t.db, bob, s.id),
      () => cloneStrategyForUser(t.db, bob, s.id),
    ]) {
      expect((await appError(call())).code).toBe('NOT_FOUND');
    }
    expect(await listStrategiesForUser(t.db, bob)).toEqual([]);
    expect((await getStrategyForUser(t.db, alice, s.id)).name, 'untouched').toBe('Mine');
  });
});
