import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditEvents } from '@/db/schema';
import { listAuditEvents } from '@/server/services/audit';
import { registerUser } from '@/server/services/auth/users';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { candleRange, upsertCandles } from './candles';
import { deleteSeries } from './series';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

const H = 3_600_000;
const rows = Array.from({ length: 24 }, (_, i) => [i * H, 100, 101, 99, 100, 1] as [number, number, number, number, number, number]);

describe('deleting a stored series', () => {
  it('deletes only that series and records who deleted what in the audit log', async () => {
    const admin = await registerUser(t.db, { username: 'series-admin', password: 'series admin pw 1' });
    const key = { exchange: 'kraken', symbol: 'BTC/USDT', timeframe: '1h' };
    await upsertCandles(t.db, key, rows);
    await upsertCandles(
      t.db,
      { ...key, timeframe: '4h' },
      rows.filter((r) => r[0] % (4 * H) === 0),
    );

    expect(await deleteSeries(t.db, admin, key, { ip: '198.51.100.7' })).toEqual({ ...key, deleted: 24 });
    expect(await candleRange(t.db, key), 'the series is gone').toBeNull();
    expect(await candleRange(t.db, { ...key, timeframe: '4h' }), 'another timeframe of the market stays').not.toBeNull();

    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'market_data.series_deleted'));
    expect(event).toMatchObject({ userId: admin.id, ip: '198.51.100.7', details: { ...key, candles: 24 } });
    const page = await listAuditEvents(t.db, { id: admin.id, role: 'admin' }, { category: 'data' });
    expect(
      page.events.map((e) => e.type),
      'listed under the "data" category',
    ).toContain('market_data.series_deleted');
  });

  it('a series with nothing stored is NOT_FOUND and audits nothing; a bad key names the field', async () => {
    const admin = await registerUser(t.db, { username: 'series-admin-2', password: 'series admin pw 2' });
    const before = (await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'market_data.series_deleted'))).length;
    await expect(deleteSeries(t.db, admin, { exchange: 'kraken', symbol: 'NONE/USDT', timeframe: '1h' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'market_data.series_deleted'))).length).toBe(before);
    await expect(deleteSeries(t.db, admin, { exchange: 'kraken', symbol: 'BTC/USDT', timeframe: '7h' })).rejects.toMatchObject({
      details: { fields: [{ field: 'timeframe' }] },
    });
  });
});
