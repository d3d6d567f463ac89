import { defaultWorkerLoopSettings } from '@/server/env';
import { accountsToReconcile, reconcileAccount, type ReconcileDeps, type ReconcileResult } from '@/server/services/reconcile';
import { settlePendingSignals } from '@/server/services/signals';
import { runEveryInterval } from './interval-loop';
import type { WorkerLoop } from './loops';

export interface ReconcilerLoopOptions {
  /** Pause between passes (RECONCILE_INTERVAL_MS, default 30 s). */
  intervalMs?: number;
  /** How accounts reach their exchange, the clock and grace periods (tests point them at a local server). */
  deps?: ReconcileDeps;
  /** Called with each account's result (tests, metrics). */
  onResult?: (result: ReconcileResult) => void;
}

/**
 * The reconciler loop (docs/orders.md "Reconciliation"): one pass at start, then one every `intervalMs`
 * after the previous pass ended (passes never overlap). A pass reconciles every account with orders that
 * are not settled; the first pass also every real account with credentials, to flag orders placed outside
 * Cryptobot. One account's failure is logged and does not stop the pass. Several workers may run it: an
 * account being reconciled by one is skipped by the others (advisory lock). After the accounts, live signals whose
 * order has settled are booked (services/signals settle-pending.ts). Stops between accounts as soon
 * as the worker's signal is aborted or the returned stop function is called.
 */
export function createReconcilerLoop(options: ReconcilerLoopOptions = {}): WorkerLoop {
  return {
    name: 'reconciler',
    async start({ database, logger, signal, settings }) {
      const intervalMs = options.intervalMs ?? (settings ?? defaultWorkerLoopSettings()).RECONCILE_INTERVAL_MS;
      const stopping = new AbortController();
      const stopped = AbortSignal.any([signal, stopping.signal]);

      const pass = async (first: boolean) => {
        let accountIds: string[];
        try {
          accountIds = await accountsToReconcile(database.db, { allExchangeAccounts: first });
        } catch (error) {
          logger.warn({ reason: (error as Error).message }, 'could not list the accounts to reconcile; retrying next interval');
          return;
        }
        for (const accountId of accountIds) {
          if (stopped.aborted) return;
          try {
            const result = await reconcileAccount(database.db, accountId, options.deps);
            options.onResult?.(result);
          } catch (error) {
            // ExchangeError and AppError messages carry no credentials (the adapter redacts them).
            logger.warn({ accountId, reason: (error as Error).message }, 'reconciling an account failed; retrying next interval');
          }
        }
        // Live signals whose order this pass (or an earlier one) settled are booked into their deployments' positions.
        try {
          const booked = await settlePendingSignals(database.db, options.deps);
          if (booked > 0) logger.info({ booked }, 'pending signals booked');
        } catch (error) {
          logger.warn({ reason: (error as Error).message }, 'booking pending signals failed; retrying next interval');
        }
      };

      const stop = runEveryInterval({ logger, signal: stopped }, intervalMs, (round) => pass(round === 0), 'reconciler pass failed; retrying next interval');
      return async () => {
        stopping.abort();
        await stop();
      };
    },
  };
}
