/**
 * How a test reaches the local Binance-speaking server (binance-test-server.ts) through the real ccxt class, as the
 * services do in production: the exchange list an account may name, and the connector the services' deps take.
 */
import { createCcxtExchange } from '@/server/exchange/ccxt-adapter';
import type { ExchangeConnector, ExchangeOption } from '@/server/services/accounts';
import { binanceApiUrls, type BinanceTestServer } from './binance-test-server';

/** Binance alone, with an API key and secret. */
export const TEST_EXCHANGES: ExchangeOption[] = [{ id: 'binance', name: 'Binance', requiredCredentials: ['apiKey', 'secret'], unsupportedCredentials: [] }];

/**
 * A connector to the test server that `server()` returns at each connection (a test starts it in beforeAll): one
 * attempt per call, a rate limit never reached, `timeoutMs` per request.
 */
export function testServerConnector(server: () => BinanceTestServer, timeoutMs = 1000): ExchangeConnector {
  return ({ exchangeId, accountId, credentials }) =>
    createCcxtExchange({
      exchangeId,
      accountId,
      credentials,
      timeoutMs,
      rateLimit: { perSecond: 1000, perMinute: 100_000 },
      urls: binanceApiUrls(server().baseUrl),
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
}
