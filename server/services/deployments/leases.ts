/**
 * Deployment leases (docs/trading.md): a worker claims running deployments whose lease is free or expired
 * with FOR UPDATE SKIP LOCKED, and each claim raises the fencing epoch; renewals keep them; a worker
 * shutting down gives them back. Signal deployments are never claimed: nothing happens on their bars, only their
 * signals move them (server/services/signals).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { deployments } from '@/db/schema';
import { SIGNAL_STRATEGY_TYPE } from '@/server/core/strategies/signal';

/**
 * `freeForMs`: only deployments whose lease ran out at least that long ago (none that was never leased or was given
 * back at a shutdown): the ones no worker took in that time, which any worker then takes beyond its share.
 */
export async function claimDeployments(db: Db, workerId: string, limit: number, leaseMs: number, options: { freeForMs?: number } = {}) {
  if (limit <= 0) return [];
  const free =
    options.freeForMs === undefined
      ? sql`(lease_owner is null or lease_expires_at is null or lease_expires_at < now())`
      : sql`lease_expires_at < now() - make_interval(secs => ${options.freeForMs / 1000})`;
  return db.execute<{ id: string; lease_epoch: string }>(sql`
    update deployments d
       set lease_owner = ${workerId},
           lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}),
           lease_epoch = d.lease_epoch + 1
      from (select id from deployments
             where state = 'running' and ${free} and strategy->>'type' <> ${SIGNAL_STRATEGY_TYPE}
             order by updated_at
             limit ${limit}
             for update skip locked) free
     where d.id = free.id
    returning d.id, d.lease_epoch`);
}

export async function renewLeases(db: Db, workerId: string, held: Map<string, number>, leaseMs: number): Promise<Set<string>> {
  if (held.size === 0) return new Set();
  const rows = await db
    .update(deployments)
    .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(and(inArray(deployments.id, [...held.keys()]), eq(deployments.leaseOwner, workerId), eq(deployments.state, 'running')))
    .returning({ id: deployments.id, epoch: deployments.leaseEpoch });
  return new Set(rows.filter((r) => held.get(r.id) === r.epoch).map((r) => r.id));
}

/** Gives these leases back at once, for another worker to claim (the worker holds more than its share). */
export async function giveBackLeases(db: Db, workerId: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db
    .update(deployments)
    .set({ leaseOwner: null, leaseExpiresAt: null })
    .where(and(inArray(deployments.id, [...ids]), eq(deployments.leaseOwner, workerId)))
    .returning({ id: deployments.id });
  return rows.length;
}

export async function releaseLeases(db: Db, workerId: string): Promise<number> {
  const rows = await db
    .update(deployments)
    .set({ leaseOwner: null, leaseExpiresAt: null })
    .where(eq(deployments.leaseOwner, workerId))
    .returning({ id: deployments.id });
  return rows.length;
}
