import { newCcxtClient } from './ccxt-adapter';

export interface CcxtExchangeInfo {
  id: string;
  name: string;
  /** The credential fields ccxt requires for this exchange (apiKey, secret, password, uid, ...). */
  requiredCredentials: string[];
  /** ccxt's `urls.api`: the API base URLs by name (some exchanges nest groups of them). */
  apiUrls: ApiUrls;
}

export interface ApiUrls {
  [entry: string]: string | ApiUrls;
}

/**
 * Static metadata of a ccxt exchange class (no request is made), or null when ccxt has no such id.
 * Its ccxt object comes from the adapter's newCcxtClient, the one place ccxt exchanges are made.
 */
export function describeCcxtExchange(exchangeId: string): CcxtExchangeInfo | null {
  const instance = newCcxtClient(exchangeId);
  if (instance === null) return null;
  const required = Object.entries(instance.requiredCredentials as Record<string, boolean>)
    .filter(([, needed]) => needed)
    .map(([field]) => field);
  const api = instance.urls['api'] as unknown;
  const apiUrls = typeof api === 'object' && api !== null ? structuredClone(api as ApiUrls) : typeof api === 'string' ? { api } : {};
  return { id: exchangeId, name: String(instance.name ?? exchangeId), requiredCredentials: required, apiUrls };
}
