/**
 * Which exchanges an account may use and what credentials each needs: "paper", or a ccxt id that is
 * enabled in the exchange config. The credential fields come from ccxt's `requiredCredentials`
 * (static metadata of the exchange class; no request is made).
 */
import { exchangeClientSettings, getAppConfig, type AppConfig } from '@/server/config';
import { describeCcxtExchange } from '@/server/exchange/catalog';
import { createCcxtExchange, type CcxtExchange, type ExchangeCredentials } from '@/server/exchange/ccxt-adapter';
import { logger } from '@/server/logger';

export const PAPER_EXCHANGE = 'paper';

/** The credential fields our accounts store (ccxt knows more, e.g. uid or privateKey, which we do not support yet). */
export const CREDENTIAL_FIELDS = ['apiKey', 'secret', 'password'] as const;
export type CredentialField = (typeof CREDENTIAL_FIELDS)[number];

export interface ExchangeOption {
  id: string;
  name: string;
  /** Which of apiKey / secret / password this exchange needs. */
  requiredCredentials: CredentialField[];
  /** Credentials ccxt requires that we cannot store: accounts on this exchange cannot be created. */
  unsupportedCredentials: string[];
}

const optionCache = new Map<string, ExchangeOption | null>();

/** The exchange's credential requirements, or null if ccxt has no such exchange. */
export function exchangeOption(exchangeId: string): ExchangeOption | null {
  if (optionCache.has(exchangeId)) return optionCache.get(exchangeId)!;
  const info = describeCcxtExchange(exchangeId);
  const option: ExchangeOption | null = info && {
    id: info.id,
    name: info.name,
    requiredCredentials: CREDENTIAL_FIELDS.filter((field) => info.requiredCredentials.includes(field)),
    unsupportedCredentials: info.requiredCredentials.filter((field) => !(CREDENTIAL_FIELDS as readonly string[]).includes(field)),
  };
  optionCache.set(exchangeId, option);
  return option;
}

/** The enabled real exchanges of the config, in config order, with their credential fields. */
export function enabledExchanges(config: AppConfig = getAppConfig()): ExchangeOption[] {
  return Object.entries(config.exchanges)
    .filter(([, settings]) => settings.enabled)
    .map(([id]) => exchangeOption(id))
    .filter((option): option is ExchangeOption => option !== null && option.unsupportedCredentials.length === 0);
}

/** How services reach a real exchange for an account; tests inject one that points at a local server. */
export type ExchangeConnector = (params: { exchangeId: string; accountId: string; credentials: ExchangeCredentials }) => CcxtExchange;

/** The production connector: ccxt with the config's timeout, rate limits and urls; reads retried at most twice. */
export function defaultExchangeConnector(config: AppConfig = getAppConfig()): ExchangeConnector {
  return ({ exchangeId, accountId, credentials }) => {
    return createCcxtExchange({
      ...exchangeClientSettings(exchangeId, config),
      exchangeId,
      accountId,
      credentials,
      retry: { attempts: 2, baseDelayMs: 250, maxDelayMs: 2_000 },
      logger: { warn: (details, message) => logger.warn({ ...details, accountId }, message) },
    });
  };
}
