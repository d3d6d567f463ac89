import * as ccxt from 'ccxt';

export interface CcxtExchangeInfo {
  id: string;
  name: string;
  /** The credential fields ccxt requires for this exchange (apiKey, secret, password, uid, ...). */
  requiredCredentials: string[];
}

/**
 * Static metadata of a ccxt exchange class (no request is made), or null when ccxt has no such id.
 * The only place outside the adapter that touches ccxt, so the rest of the app never imports it.
 */
export function describeCcxtExchange(exchangeId: string): CcxtExchangeInfo | null {
  const classes = ccxt.exchanges as unknown as Record<string, (new (config?: object) => ccxt.Exchange) | undefined>;
  const ExchangeClass = Object.hasOwn(classes, exchangeId) ? classes[exchangeId] : undefined;
  if (typeof ExchangeClass !== 'function') return null;
  const instance = new ExchangeClass();
  const required = Object.entries(instance.requiredCredentials as Record<string, boolean>)
    .filter(([, needed]) => needed)
    .map(([field]) => field);
  return { id: exchangeId, name: String(instance.name ?? exchangeId), requiredCredentials: required };
}
