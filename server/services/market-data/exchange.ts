/**
 * Public (credential-less) ccxt clients for market data, built from the exchange config
 * (server/config: enabled, timeout, rate limits, urls). One client per exchange and retry policy per process.
 */
import { exchangeClientSettings, getAppConfig } from '@/server/config';
import { AppError } from '@/server/core/errors';
import { createCcxtExchange, type CcxtExchange, type CcxtExchangeOptions } from '@/server/exchange/ccxt-adapter';
import { isExchangeError } from '@/server/exchange/errors';
import { logger } from '@/server/logger';

/** The exchanges enabled in the config, the default first. */
export function enabledExchanges(): { defaultExchange: string; exchanges: string[] } {
  const config = getAppConfig();
  const ids = Object.entries(config.exchanges)
    .filter(([, c]) => c.enabled)
    .map(([id]) => id)
    .sort((a, b) => (a === config.defaultExchange ? -1 : b === config.defaultExchange ? 1 : a.localeCompare(b)));
  return { defaultExchange: config.defaultExchange, exchanges: ids };
}

export function assertEnabledExchange(exchangeId: string): void {
  if (!enabledExchanges().exchanges.includes(exchangeId)) {
    throw AppError.validation([
      { field: 'exchange', message: `"${exchangeId}" is not an enabled exchange (enabled: ${enabledExchanges().exchanges.join(', ')})` },
    ]);
  }
}

const clients = new Map<string, CcxtExchange>();

/**
 * A market-data client for an enabled exchange. `quick` gives up after one attempt with a short
 * timeout (for pages that poll and must fall back fast); the default retries reads with backoff.
 * Requests go to the config's `urls` for the exchange when it has them (`options.urls` wins).
 */
export function marketDataExchange(exchangeId: string, options: { quick?: boolean; urls?: Record<string, string> } = {}): CcxtExchange {
  assertEnabledExchange(exchangeId);
  const settings = exchangeClientSettings(exchangeId);
  const urls = options.urls ?? settings.urls;
  const cacheKey = `${exchangeId}|${options.quick ? 'quick' : 'patient'}|${JSON.stringify(urls ?? {})}`;
  let client = clients.get(cacheKey);
  if (!client) {
    const adapterOptions: CcxtExchangeOptions = {
      exchangeId,
      timeoutMs: options.quick ? Math.min(settings.timeoutMs, 4_000) : settings.timeoutMs,
      rateLimit: settings.rateLimit,
      logger,
      ...(urls ? { urls } : {}),
      ...(options.quick ? { retry: { attempts: 1, baseDelayMs: 100, maxDelayMs: 100 } } : {}),
    };
    client = createCcxtExchange(adapterOptions);
    clients.set(cacheKey, client);
  }
  return client;
}

/** Whether an error means the exchange could not be reached (network, timeout, 5xx, rate limit). */
export function isUnreachable(error: unknown): boolean {
  return isExchangeError(error) && error.kind === 'retryable';
}
