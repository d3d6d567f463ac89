import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createDatabase, type Database } from './client';
import { pipelinedTransaction, queryRows } from './raw';

let t: TestDatabase;
let single: Database;

beforeAll(async () => {
  t = await createTestDatabase();
  // One connection: a transaction left open, or a connection not given back, would hang the next test.
  single = createDatabase(t.url, { max: 1, applicationName: 'cryptobot-test-raw' });
  await t.db.execute(sql`create table raw_items (id serial primary key, name text not null unique)`);
});
afterAll(async () => {
  await single?.close();
  await t?.destroy();
});

const names = async () => (await t.db.execute<{ name: string }>(sql`select name from raw_items order by id`)).map((r) => r.name);
const insert = (name: string) => ({ text: 'insert into raw_items (name) values ($1) returning id', params: [name] });

describe('pipelinedTransaction', () => {
  it('commits the first statement, what run does on its handle, and the last statements together; returns their rows', async () => {
    const last = await pipelinedTransaction(single.db, insert('first'), async (rows, handle) => {
      expect(rows).toHaveLength(1);
      await handle().execute(sql`insert into raw_items (name) values ('inside')`);
      return [insert('last'), { text: 'select count(*)::int as n from raw_items', params: [] }];
    });
    expect(last?.[1]).toEqual([{ n: 3 }]);
    expect(await names()).toEqual(['first', 'inside', 'last']);
  });

  it('a last statement that fails rolls everything back, and the one connection goes back clean', async () => {
    const attempt = pipelinedTransaction(single.db, insert('doomed'), async () => [insert('also doomed'), { text: 'select 1 / $1::int as x', params: [0] }]);
    await expect(attempt).rejects.toThrow(/division by zero/);
    expect(await names()).not.toContain('doomed');
    expect(await names()).not.toContain('also doomed');
    expect(await queryRows(single.db, 'select 1 as ok', []), 'usable: not left inside an aborted transaction').toEqual([{ ok: 1 }]);
  });

  it('a failing last statement reports its own error, not the aborted-transaction error of the ones behind it', async () => {
    const attempt = pipelinedTransaction(single.db, insert('dup-a'), async () => [insert('first'), insert('after the duplicate')]);
    await expect(attempt).rejects.toThrow(/duplicate key/);
    expect(await names()).not.toContain('dup-a');
  });

  it('run returning null or throwing rolls back', async () => {
    expect(await pipelinedTransaction(single.db, insert('not wanted'), async () => null)).toBeNull();
    await expect(
      pipelinedTransaction(single.db, insert('thrown away'), async () => {
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await names()).toEqual(['first', 'inside', 'last']);
  });
});
