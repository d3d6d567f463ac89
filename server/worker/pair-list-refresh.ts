import { defaultWorkerLoopSettings } from '@/server/env';
import { refreshPairLists } from '@/server/services/deployments/pair-list-refresh';
import type { TopVolumeMarketData } from '@/server/services/strategies/top-volume';
import { runEveryInterval } from './interval-loop';
import type { WorkerLoop } from './loops';

/**
 * Every PAIR_LIST_REFRESH_INTERVAL_MS (default one hour; a pass at start), re-resolves the pair lists the exchange
 * chooses (`pairlist: {type: "top_volume"}`) of running live-feed deployments and stores the ones that changed; each
 * deployment's next tick follows its list (server/services/deployments/pair-list-refresh.ts). Several workers may
 * run it at once: each pass writes the same list.
 */
export function createPairListRefreshLoop(options: { intervalMs?: number; marketData?: (exchangeId: string) => TopVolumeMarketData } = {}): WorkerLoop {
  return {
    name: 'pair-list-refresh',
    async start({ database, logger, signal, settings }) {
      const intervalMs = options.intervalMs ?? (settings ?? defaultWorkerLoopSettings()).PAIR_LIST_REFRESH_INTERVAL_MS;
      return runEveryInterval(
        { logger, signal },
        intervalMs,
        async () => {
          const changed = await refreshPairLists(database.db, {
            marketData: options.marketData,
            onError: (exchange, error) => logger.warn({ exchange, err: error }, 'a pair list could not be refreshed; the stored one stays'),
          });
          for (const { deploymentId, symbols } of changed) logger.info({ deploymentId, symbols }, 'pair list refreshed');
        },
        'refreshing pair lists failed; retrying next interval',
      );
    },
  };
}
