/**
 * Reading the kill switch latch (docs/trading.md "Kill switch"): what every path that places an order or
 * starts a deployment checks. Depends on nothing but the schema, so the orders and deployments services can
 * import it; engaging and releasing are ./kill-switch.ts.
 *
 * The race rule: a check counts only inside the transaction that writes the order (or the deployment), as a read
 * of `kill_switches` FOR SHARE in that transaction's FIRST statement. It takes the table's ROW SHARE lock, which
 * the engage's EXCLUSIVE lock conflicts with: an order transaction that got in first is waited for by the engage
 * (it commits, fill and all, before the engage does); one that comes after waits at its first statement until the
 * engage commits, and PostgreSQL takes that statement's snapshot after the wait, so it sees the latch.
 */
import type { DbOrTx } from '@/db/client';
import { queryRows } from '@/db/raw';
import { AppError } from '@/server/core/errors';
import type { EngagedLatch, KillSwitchScope } from './views';

export type { EngagedLatch, KillSwitchScope };

/**
 * The SQL of the latches that halt `userParam`'s trading (its own and the global one), each as JSON
 * `{scope, since, by, reason}`, read FOR SHARE (see the file comment). `userParam` is the statement's
 * parameter text for the user id, e.g. `$2::uuid`.
 */
export function engagedLatchesSql(userParam: string): string {
  return `${LATCHES_OF(userParam)} for share of k`;
}

/**
 * The latches of several users at once (a batch of deployment ticks in one transaction): each engaged latch
 * covering any of the users in `usersSubquery` (a subquery of uuids), with its `user_id` (null: global), read FOR
 * SHARE as engagedLatchesSql. A user's latches are the rows of its id and the null ones.
 */
export function engagedLatchesOfUsersSql(usersSubquery: string): string {
  return `select k.user_id, ${LATCH_JSON} as latch
     from kill_switches k where k.user_id in (${usersSubquery}) or k.user_id is null for share of k`;
}

const LATCH_JSON = `json_build_object('scope', case when k.user_id is null then 'global' else 'user' end, 'since', k.engaged_at, 'by', (select u.username from users u where u.id = k.engaged_by), 'reason', k.reason)`;

/** Each latch covering the user (its own and the global one), as JSON. */
const LATCHES_OF = (userParam: string) =>
  `select ${LATCH_JSON} as latch
     from kill_switches k where k.user_id = ${userParam} or k.user_id is null`;

/** Parses one `latch` value of engagedLatchesSql (the driver returns json as an object). */
export function latchFromRow(value: unknown): EngagedLatch {
  const raw = (typeof value === 'string' ? JSON.parse(value) : value) as { scope: KillSwitchScope; since: string; by: string | null; reason: string | null };
  return { scope: raw.scope, since: new Date(raw.since).toISOString(), by: raw.by, reason: raw.reason };
}

/** The global latch first: it is the one the user cannot release. */
export function haltingLatch(latches: readonly EngagedLatch[]): EngagedLatch | null {
  return latches.find((l) => l.scope === 'global') ?? latches[0] ?? null;
}

/** The 409 every refused order, deployment and resume answers with. */
export function killSwitchError(latch: EngagedLatch): AppError {
  const who = latch.by ?? 'a deleted account';
  const message =
    latch.scope === 'global'
      ? `the kill switch is engaged for everyone (since ${latch.since}, by ${who}): an admin must release it to trade`
      : `the kill switch is engaged (since ${latch.since}, by ${who}): release it to trade`;
  return new AppError('CONFLICT', message, { killSwitch: latch });
}

/**
 * Throws the kill switch's 409 if a latch halts the user's trading. Race-free only as the first statement of the
 * caller's transaction (file comment); outside one, it is an early answer, not a guarantee.
 */
export async function assertTradingAllowed(db: DbOrTx, userId: string): Promise<void> {
  const rows = await queryRows<{ latch: unknown }>(db, engagedLatchesSql('$1::uuid'), [userId]);
  const latch = haltingLatch(rows.map((r) => latchFromRow(r.latch)));
  if (latch) throw killSwitchError(latch);
}

/** The latches halting the user's trading, the global one first, without a lock (for views). */
export async function engagedLatches(db: DbOrTx, userId: string): Promise<EngagedLatch[]> {
  const rows = await queryRows<{ latch: unknown }>(db, `${LATCHES_OF('$1::uuid')} order by k.user_id nulls first`, [userId]);
  return rows.map((r) => latchFromRow(r.latch));
}
