/**
 * The deployment runner loop: claims running deployments with leases in Postgres and ticks each one when
 * its next candle is due (server/services/deployments/tick.ts).
 *
 * - Claim: `FOR UPDATE SKIP LOCKED` over running deployments whose lease is free or expired; claiming sets
 *   this worker as owner and RAISES the fencing epoch, so the previous holder's writes are refused.
 * - Renew: every `renewMs`; a deployment whose renewal fails (paused, stopped, taken) is dropped at once.
 * - SIGTERM (the signal): in-flight ticks finish, then the leases are given back so another worker can
 *   claim them without waiting for the timeout. A killed worker's leases simply expire (`leaseMs`).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { deployments } from '@/db/schema';
import { defaultWorkerLoopSettings } from '@/server/env';
import { EVENTS_CHANNEL, parseAppEventOf } from '@/server/services/events';
import { PAPER_EXCHANGE } from '@/server/services/accounts';
import {
  claimDeployments,
  disposeRuntime,
  giveBackLeases,
  loadRuntime,
  releaseLeases,
  renewLeases,
  tickDeployment,
  transitionDeployment,
  type DeploymentRuntime,
  type TickResult,
} from '@/server/services/deployments';
import type { WorkerLoop } from './loops';
import { ensurePaperBalances, forEachConcurrently, pickDueWork } from './due-work';
import { tickPaperBatch } from './tick-batch';
import { warmUpPaperTicks } from './tick-warm-up';
import { wakeableSleep } from './wakeable-sleep';

/** A worker whose heartbeat (every 5 s by default, heartbeat.ts) is older than this no longer counts in the even share. */
const HEARTBEAT_STALE_MS = 15_000;

/** The paper tick path is warmed up (once) when the next deployment is due at least this far ahead. */
const WARM_UP_LEAD_MS = 1_500;

/** Deployments over its even share a worker keeps rather than hands over (see evenOut). */
const HANDOVER_MIN = 10;

export interface DeploymentRunnerOptions {
  /** Lease length; a killed worker's deployments move on after this. Default 15 s (CRYPTOBOT_DEPLOYMENT_LEASE_MS). */
  leaseMs?: number;
  /** How often leases are renewed. Default a third of the lease. */
  renewMs?: number;
  /** How often free deployments are looked for. Default 1 s. */
  claimMs?: number;
  /** Deployments one worker holds at most. Default 2,000. */
  maxDeployments?: number;
  /** Ticks (or batches of paper ticks) run concurrently. Default 4. */
  concurrency?: number;
  /** Paper deployments due together ticked in one transaction at most (tick-batch.ts). Default 50; 1 = no batches. */
  maxBatch?: number;
}

export function createDeploymentRunnerLoop(options: DeploymentRunnerOptions = {}): WorkerLoop {
  const maxDeployments = options.maxDeployments ?? 2_000;
  const concurrency = options.concurrency ?? 4;
  const maxBatch = options.maxBatch ?? 50;
  const isPaper = (rt: DeploymentRuntime) => rt.account.exchange === PAPER_EXCHANGE;
  // A script's decisions block the event loop (up to their time limit each): its paper ticks go alone, not in a batch.
  const batchable = (rt: DeploymentRuntime) => isPaper(rt) && rt.disposeStrategy === null;
  return {
    name: 'deployment-runner',
    async start({ database, workerId, logger, signal, settings }) {
      // The lease comes from the worker's configuration (server/env.ts, validated at start) unless the caller set one.
      const leaseMs = options.leaseMs ?? (settings ?? defaultWorkerLoopSettings()).CRYPTOBOT_DEPLOYMENT_LEASE_MS;
      const renewMs = options.renewMs ?? Math.max(200, Math.floor(leaseMs / 3));
      const claimMs = options.claimMs ?? Math.min(1_000, renewMs);
      const db = database.db;
      const runtimes = new Map<string, DeploymentRuntime>();
      /** Drops a deployment from this worker, freeing what its runtime holds (a script's isolate). */
      const drop = (id: string) => {
        const rt = runtimes.get(id);
        runtimes.delete(id);
        if (rt) disposeRuntime(rt);
      };
      const pause = wakeableSleep();
      let lastClaim = 0;
      let lastRenew = Date.now();
      let warmedUp = false;
      const listener = await database.sql
        .listen(EVENTS_CHANNEL, (payload) => {
          // A deployment that (re)started and is not ours yet: look for work now. Our own ticks announce
          // "running" on every candle; those must not trigger a claim round each.
          const event = parseAppEventOf(payload, ['deployment']);
          if (event?.state !== 'running' || runtimes.has(event.deploymentId)) return;
          lastClaim = 0;
          pause.wake();
        })
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'LISTEN failed; polling only');
          return null;
        });

      const claim = async () => {
        // Up to an even share of the running deployments among the live workers, so a second worker started beside
        // the first takes half of them (two processes, two threads for a burst). Deployments left free for a whole
        // lease (a worker that stopped renewing but still beats) are taken by anyone beyond its share.
        const room = Math.min(maxDeployments, await evenShare()) - runtimes.size;
        const shared = await claimDeployments(db, workerId, room, leaseMs);
        const claimed = [...shared, ...(await claimDeployments(db, workerId, maxDeployments - runtimes.size - shared.length, leaseMs, { freeForMs: leaseMs }))];
        if (claimed.length === 0) return;
        // One read of the claimed rows, then the runtimes loaded a few at a time: a worker taking over a thousand
        // deployments holds them all in a second or two, not after a thousand round trips one after another.
        const rows = new Map(
          (
            await db
              .select()
              .from(deployments)
              .where(
                inArray(
                  deployments.id,
                  claimed.map((c) => c.id),
                ),
              )
          ).map((row) => [row.id, row]),
        );
        await forEachConcurrently(claimed, 8, async ({ id, lease_epoch }) => {
          const row = rows.get(id);
          if (!row) return;
          try {
            const rt = await loadRuntime(db, row, Number(lease_epoch));
            await ensurePaperBalances(db, rt, logger);
            drop(id);
            runtimes.set(id, rt);
            logger.info({ deploymentId: id, epoch: Number(lease_epoch) }, 'deployment claimed');
          } catch (error) {
            logger.error({ deploymentId: id, err: error }, 'deployment could not be loaded; failing it');
            await transitionDeployment(db, row, {
              event: 'start_failed',
              reason: `could not start: ${(error as Error).message}`,
              now: Date.now(),
              epoch: Number(lease_epoch),
            });
          }
        });
      };

      /** ⌈running deployments ÷ live workers⌉; a worker is live while its heartbeat is younger than HEARTBEAT_STALE_MS. */
      const evenShare = async () => {
        const [row] = await db.execute<{ running: number; workers: number }>(sql`
          select (select count(*) from deployments where state = 'running')::int as running,
                 (select count(*) from worker_heartbeats where stopped_at is null and last_heartbeat_at > now() - make_interval(secs => ${HEARTBEAT_STALE_MS / 1000}))::int as workers`);
        return Math.ceil(Number(row?.running ?? 0) / Math.max(1, Number(row?.workers ?? 1)));
      };

      const renew = async () => {
        const held = new Map([...runtimes.values()].map((rt) => [rt.id, rt.epoch]));
        const kept = await renewLeases(db, workerId, held, leaseMs);
        for (const id of held.keys()) {
          if (!kept.has(id)) {
            drop(id);
            logger.info({ deploymentId: id }, 'deployment lease lost or given up');
          }
        }
        await evenOut();
      };

      /**
       * Holding well over an even share (a worker was started beside this one): the excess goes back, the latest
       * due first, for the other to claim. Called between rounds (no tick in flight). A few over is kept: moving a
       * deployment costs a claim and a runtime rebuild.
       */
      const evenOut = async () => {
        const excess = runtimes.size - (await evenShare());
        if (excess < HANDOVER_MIN) return;
        const given = [...runtimes.values()].sort((a, b) => b.nextDueMs - a.nextDueMs).slice(0, excess);
        for (const rt of given) drop(rt.id);
        const count = await giveBackLeases(
          db,
          workerId,
          given.map((rt) => rt.id),
        );
        logger.info({ deployments: count }, 'deployments given back to even the share out');
      };

      const afterTick = async (rt: DeploymentRuntime, outcome: PromiseSettledResult<TickResult>) => {
        if (outcome.status === 'fulfilled') {
          const result = outcome.value;
          if (result.status === 'lost' || result.status === 'ended') {
            drop(rt.id);
            logger.info({ deploymentId: rt.id, status: result.status }, 'deployment left this worker');
            return;
          }
          rt.nextDueMs = result.nextDueMs;
        } else {
          const error: unknown = outcome.reason;
          logger.error({ deploymentId: rt.id, err: error }, 'deployment tick failed; retrying from the stored state');
          drop(rt.id);
          const [row] = await db
            .select()
            .from(deployments)
            .where(and(eq(deployments.id, rt.id), eq(deployments.leaseEpoch, rt.epoch), eq(deployments.state, 'running')))
            .catch(() => []);
          if (row) {
            const fresh = await loadRuntime(db, row, rt.epoch).catch(() => null);
            if (fresh) {
              fresh.nextDueMs = Date.now() + 2_000;
              runtimes.set(rt.id, fresh);
            }
          }
        }
      };

      const tickOne = async (rt: DeploymentRuntime) => {
        const [outcome] = await Promise.allSettled([tickDeployment(db, rt)]);
        await afterTick(rt, outcome!);
      };

      const tickBatch = async (batch: DeploymentRuntime[]) => {
        if (batch.length === 1) return tickOne(batch[0]!);
        const outcomes = await tickPaperBatch(db, batch);
        const retried = outcomes.filter((o) => o.retriedAlone).length;
        if (retried > 0) logger.warn({ deployments: batch.length }, 'a batch of paper ticks was rolled back; its deployments were ticked alone');
        for (const { rt, result } of outcomes) await afterTick(rt, result);
      };

      signal.addEventListener('abort', () => pause.wake(), { once: true });
      const loop = (async () => {
        while (!signal.aborted) {
          const now = Date.now();
          try {
            if (now - lastRenew >= renewMs) {
              lastRenew = now;
              await renew();
            }
            if (now - lastClaim >= claimMs) {
              lastClaim = now;
              await claim();
            }
          } catch (error) {
            logger.warn({ err: error }, 'deployment lease bookkeeping failed');
          }
          // Lanes take the most overdue work each time theirs finishes, so a deployment that falls due while others
          // tick waits for a free lane, not for the whole round. Paper deployments due together go as one batch
          // (tick-batch.ts) of up to an even share of what is due, so every lane has some of a burst.
          const inFlight = new Set<string>();
          const accountsInFlight = new Set<string>();
          const nextWork = () => pickDueWork(runtimes.values(), { inFlight, accountsInFlight, maxBatch, lanes: concurrency, batchable });
          const roundStarted = Date.now();
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              // A lane gives the loop back after a while so leases are renewed and claims made on time.
              while (!signal.aborted && Date.now() - roundStarted < renewMs / 2) {
                const batch = nextWork();
                if (batch.length === 0) return;
                for (const rt of batch) {
                  inFlight.add(rt.id);
                  if (isPaper(rt)) accountsInFlight.add(rt.account.id);
                }
                try {
                  await tickBatch(batch);
                } finally {
                  for (const rt of batch) {
                    inFlight.delete(rt.id);
                    if (isPaper(rt)) accountsInFlight.delete(rt.account.id);
                  }
                }
              }
            }),
          );
          if (signal.aborted) break;
          let nextDue = Infinity;
          for (const rt of runtimes.values()) if (rt.nextDueMs < nextDue) nextDue = rt.nextDueMs;
          if (!warmedUp && nextDue - Date.now() >= WARM_UP_LEAD_MS && [...runtimes.values()].some(batchable)) {
            // Once, before the first burst: the tick path's JavaScript compiled on throwaway ticks (tick-warm-up.ts).
            warmedUp = true;
            const started = Date.now();
            const warm = await warmUpPaperTicks([...runtimes.values()].filter(batchable), { untilMs: Math.min(started + 2_000, nextDue - 500) });
            logger.info({ ...warm, ms: Date.now() - started }, 'paper tick path warmed up');
          }
          const next = Math.min(lastClaim + claimMs, lastRenew + renewMs, nextDue);
          const waitMs = Math.max(5, Math.min(1_000, next - Date.now()));
          await pause.sleep(waitMs);
        }
      })();

      return async () => {
        pause.wake();
        await loop;
        for (const id of [...runtimes.keys()]) drop(id);
        const released = await releaseLeases(db, workerId).catch(() => 0);
        logger.info({ released }, 'deployment leases given back');
        await listener?.unlisten().catch(() => undefined);
      };
    },
  };
}
