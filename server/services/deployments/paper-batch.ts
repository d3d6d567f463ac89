/**
 * The statements a batch of paper ticks shares (server/worker/tick-batch.ts: several deployments due together,
 * ticked in ONE transaction). Each member's tick sends its own orders; its fence (first) and its state write and
 * notifications (last) are the same statement for every member, so the batch sends each once for all of them:
 * a paper tick in a batch is then its order's two statements, where it was five.
 *
 * - `fenceAll`: the batch's first statement. The kill switch latches of every member's user, read FOR SHARE (the
 *   transaction's first statement takes the ROW SHARE lock the engage waits for: kill-switch/latch.ts), and each
 *   member's deployment row FOR UPDATE under its epoch, as each tick's own fence does alone (tick.ts).
 * - `finishAll`: the batch's last statements. Every member's notifications, in member order (each member's in its
 *   own order; delivered at the commit), then every member's state write, fenced by its epoch.
 */
import type { DbOrTx } from '@/db/client';
import { queryRows } from '@/db/raw';
import type { MachineState } from '@/server/core/trading';
import { notifyBatchStatement, type AppEvent } from '@/server/services/events';
import { engagedLatchesOfUsersSql } from '@/server/services/kill-switch/latch';
import type { PaperOrderStatements } from '@/server/services/orders';
import type { DeploymentRow } from './model';

/** A member's fence: whether its row is held under its epoch, and the latches that halt its user's trading. */
export interface TickFence {
  held: boolean;
  killSwitch: unknown[] | null;
}

/** What a paper tick writes last: the machine's state and the tick's notifications. */
export interface TickFinish {
  state: MachineState;
  fields: Pick<DeploymentRow, 'lastBarTime' | 'lastDecision'>;
  now: number;
  events: readonly AppEvent[];
}

/**
 * A member of a batch: the batch sends the member's fence and its last writes with every member's (the worker's
 * tick-batch.ts collects them). `finish` resolves whether the state write held (the fence).
 */
export interface PaperBatchMember {
  fence(): Promise<TickFence>;
  finish(finish: TickFinish): Promise<boolean>;
  /** The member's orders' statements, sent with every member's (services/orders/order-batch-sql.ts). */
  orders: PaperOrderStatements;
}

const FENCE_ALL = `with req as materialized (select * from jsonb_to_recordset($1::jsonb) as r(n int, id uuid, epoch bigint, user_id uuid)),
  halt as materialized (${engagedLatchesOfUsersSql('select user_id from req')}),
  held as materialized (
    select d.id from deployments d join req on req.id = d.id and d.lease_epoch = req.epoch
     where d.state = 'running' for update of d)
  select req.n, exists (select 1 from held where held.id = req.id) as held,
         (select json_agg(h.latch) from halt h where h.user_id = req.user_id or h.user_id is null) as kill_switch
    from req order by req.n`;

/** The fences of the batch's members (in their order), in one statement: the transaction's first. */
export async function fenceAll(tx: DbOrTx, members: ReadonlyArray<{ id: string; epoch: number; userId: string }>): Promise<TickFence[]> {
  const rows = await queryRows<{ n: number; held: boolean; kill_switch: unknown[] | null }>(tx, FENCE_ALL, [
    JSON.stringify(members.map((m, n) => ({ n, id: m.id, epoch: m.epoch, user_id: m.userId }))),
  ]);
  if (rows.length !== members.length) throw new Error(`the batch's fence returned ${rows.length} rows for ${members.length} members`);
  return rows.map((row) => ({ held: row.held, killSwitch: row.kill_switch }));
}

const PERSIST_ALL = `update deployments d
    set runner = v.runner, updated_at = v.updated_at, last_bar_time = v.last_bar_time, last_decision = v.last_decision, state_reason = null
   from jsonb_to_recordset($1::jsonb) as v(id uuid, epoch bigint, runner jsonb, updated_at timestamptz, last_bar_time bigint, last_decision jsonb)
  where d.id = v.id and d.lease_epoch = v.epoch and d.state = 'running'
  returning d.id`;

/**
 * Every member's notifications, then every member's state write (the same values as tick.ts `persist` writes
 * alone), pipelined. Returns, per member, whether its write held.
 */
export async function finishAll(tx: DbOrTx, members: ReadonlyArray<{ id: string; epoch: number; finish: TickFinish }>): Promise<boolean[]> {
  const events = members.flatMap((m) => m.finish.events);
  const notify = notifyBatchStatement(events);
  const notified = events.length > 0 ? queryRows(tx, notify.text, notify.params) : Promise.resolve([]);
  const written = queryRows<{ id: string }>(tx, PERSIST_ALL, [
    JSON.stringify(
      members.map(({ id, epoch, finish: { state, fields, now } }) => ({
        id,
        epoch,
        runner: state,
        updated_at: new Date(now).toISOString(),
        last_bar_time: fields.lastBarTime,
        last_decision: fields.lastDecision,
      })),
    ),
  ]);
  const [, rows] = await Promise.all([notified, written]);
  const held = new Set(rows.map((r) => r.id));
  return members.map((m) => held.has(m.id));
}
