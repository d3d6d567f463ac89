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
import { and, eq } from 'drizzle-orm';
import { deployments } from '@/db/schema';
import { EVENTS_CHANNEL, parseAppEvent } from '@/server/services/events';
import { claimDeployments, loadRuntime, releaseLeases, renewLeases, tickDeployment, transitionDeployment, type DeploymentRuntime } from '@/server/services/deployments';
import type { WorkerLoop } from './loops';
import { wakeableSleep } from './wakeable-sleep';

export interface DeploymentRunnerOptions {
  /** Lease length; a killed worker's deployments move on after this. Default 15 s (CRYPTOBOT_DEPLOYMENT_LEASE_MS). */
  leaseMs?: number;
  /** How often leases are renewed. Default a third of the lease. */
  renewMs?: number;
  /** How often free deployments are looked for. Default 1 s. */
  claimMs?: number;
  /** Deployments one worker holds at most. Default 2,000. */
  maxDeployments?: number;
  /** Ticks run concurrently. Default 4. */
  concurrency?: number;
}

const envNumber = (name: string): number | undefined => {
  const value = process.env[name];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
};

export function createDeploymentRunnerLoop(options: DeploymentRunnerOptions = {}): WorkerLoop {
  const leaseMs = options.leaseMs ?? envNumber('CRYPTOBOT_DEPLOYMENT_LEASE_MS') ?? 15_000;
  const renewMs = options.renewMs ?? Math.max(200, Math.floor(leaseMs / 3));
  const claimMs = options.claimMs ?? Math.min(1_000, renewMs);
  const maxDeployments = options.maxDeployments ?? 2_000;
  const concurrency = options.concurrency ?? 4;
  return {
    name: 'deployment-runner',
    async start({ database, workerId, logger, signal }) {
      const db = database.db;
      const runtimes = new Map<string, DeploymentRuntime>();
      const pause = wakeableSleep();
      let lastClaim = 0;
      let lastRenew = Date.now();
      const listener = await database.sql
        .listen(EVENTS_CHANNEL, (payload) => {
          // A deployment that (re)started and is not ours yet: look for work now. Our own ticks announce
          // "running" on every candle; those must not trigger a claim round each.
          const event = parseAppEvent(payload);
          if (event?.kind !== 'deployment' || event.state !== 'running' || runtimes.has(event.deploymentId)) return;
          lastClaim = 0;
          pause.wake();
        })
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'LISTEN failed; polling only');
          return null;
        });

      const claim = async () => {
        const rows = await claimDeployments(db, workerId, maxDeployments - runtimes.size, leaseMs);
        for (const { id, lease_epoch } of rows) {
          const [row] = await db.select().from(deployments).where(eq(deployments.id, id));
          if (!row) continue;
          try {
            runtimes.set(id, await loadRuntime(db, row, Number(lease_epoch)));
            logger.info({ deploymentId: id, epoch: Number(lease_epoch) }, 'deployment claimed');
          } catch (error) {
            logger.error({ deploymentId: id, err: error }, 'deployment could not be loaded; failing it');
            await transitionDeployment(db, row, { event: 'start_failed', reason: `could not start: ${(error as Error).message}`, now: Date.now(), epoch: Number(lease_epoch) });
          }
        }
      };

      const renew = async () => {
        const held = new Map([...runtimes.values()].map((rt) => [rt.id, rt.epoch]));
        const kept = await renewLeases(db, workerId, held, leaseMs);
        for (const id of held.keys()) {
          if (!kept.has(id)) {
            runtimes.delete(id);
            logger.info({ deploymentId: id }, 'deployment lease lost or given up');
          }
        }
      };

      const tickOne = async (rt: DeploymentRuntime) => {
        try {
          const result = await tickDeployment(db, rt);
          if (result.status === 'lost' || result.status === 'ended') {
            runtimes.delete(rt.id);
            logger.info({ deploymentId: rt.id, status: result.status }, 'deployment left this worker');
            return;
          }
          rt.nextDueMs = result.nextDueMs;
        } catch (error) {
          logger.error({ deploymentId: rt.id, err: error }, 'deployment tick failed; retrying from the stored state');
          runtimes.delete(rt.id);
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
          // Lanes pick the most overdue deployment each time one finishes, so a deployment that falls due
          // while others tick waits for a free lane, not for the whole round.
          const inFlight = new Set<string>();
          const nextDue = (): DeploymentRuntime | null => {
            let best: DeploymentRuntime | null = null;
            const now = Date.now();
            for (const rt of runtimes.values()) {
              if (rt.nextDueMs <= now && !inFlight.has(rt.id) && (best === null || rt.nextDueMs < best.nextDueMs)) best = rt;
            }
            return best;
          };
          const roundStarted = Date.now();
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              // A lane gives the loop back after a while so leases are renewed and claims made on time.
              while (!signal.aborted && Date.now() - roundStarted < renewMs / 2) {
                const rt = nextDue();
                if (rt === null) return;
                inFlight.add(rt.id);
                try {
                  await tickOne(rt);
                } finally {
                  inFlight.delete(rt.id);
                }
              }
            }),
          );
          if (signal.aborted) break;
          let next = Math.min(lastClaim + claimMs, lastRenew + renewMs);
          for (const rt of runtimes.values()) if (rt.nextDueMs < next) next = rt.nextDueMs;
          const waitMs = Math.max(5, Math.min(1_000, next - Date.now()));
          await pause.sleep(waitMs);
        }
      })();

      return async () => {
        pause.wake();
        await loop;
        const released = await releaseLeases(db, workerId).catch(() => 0);
        logger.info({ released }, 'deployment leases given back');
        await listener?.unlisten().catch(() => undefined);
      };
    },
  };
}
