/**
 * The `urls` override of an exchange in the config: where ccxt sends that exchange's requests (a
 * test server, a proxy, a regional endpoint). Two forms:
 *
 * - a base URL, `"http://127.0.0.1:4100"`: every entry of ccxt's `urls.api` for the exchange keeps its
 *   path and gets this scheme, host and port (and path prefix, if any);
 * - an object of ccxt `urls.api` entries, `{ "public": "https://...", "private": "https://..." }`:
 *   only those entries are replaced.
 */
import { describeCcxtExchange, type ApiUrls } from '@/server/exchange/catalog';

export type ExchangeUrlsSetting = string | Record<string, string>;

/** Problems with the setting, as `path: message` pairs relative to the `urls` field (empty: fine). */
export function checkExchangeUrls(exchangeId: string, urls: ExchangeUrlsSetting): Array<{ path: string; message: string }> {
  const info = describeCcxtExchange(exchangeId);
  if (!info) return [{ path: '', message: `"${exchangeId}" is not a ccxt exchange id, so its URLs cannot be overridden` }];
  if (typeof urls === 'string') return [];
  const api = info.apiUrls;
  const known = Object.keys(api).filter((entry) => typeof api[entry] === 'string');
  const problems: Array<{ path: string; message: string }> = [];
  for (const entry of Object.keys(urls)) {
    if (!Object.hasOwn(api, entry))
      problems.push({ path: entry, message: `ccxt's ${exchangeId} has no API URL named "${entry}" (it has: ${known.join(', ')})` });
    else if (typeof api[entry] !== 'string')
      problems.push({ path: entry, message: `is a group of URLs in ccxt's ${exchangeId}; give a base URL string for "urls" instead` });
  }
  return problems;
}

function rebase(api: ApiUrls, base: string): ApiUrls {
  const result: ApiUrls = {};
  for (const [entry, value] of Object.entries(api)) {
    // `https://api.{hostname}/sapi/v1` → base + `/sapi/v1` (ccxt's templated hosts included).
    result[entry] = typeof value === 'string' ? base + value.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') : rebase(value, base);
  }
  return result;
}

const resolved = new Map<string, Record<string, string>>();

/**
 * The `urls.api` entries to hand to the ccxt adapter for a validated setting (undefined: none).
 * Nested groups come back whole, so the adapter's shallow merge replaces them entirely.
 */
export function resolveExchangeUrls(exchangeId: string, urls: ExchangeUrlsSetting | undefined): Record<string, string> | undefined {
  if (urls === undefined) return undefined;
  if (typeof urls !== 'string') return { ...urls };
  const cacheKey = `${exchangeId}|${urls}`;
  let result = resolved.get(cacheKey);
  if (!result) {
    const info = describeCcxtExchange(exchangeId);
    if (!info) throw new RangeError(`"${exchangeId}" is not a ccxt exchange id`);
    // The adapter's option is typed flat; a nested group is passed through as ccxt expects it.
    result = rebase(info.apiUrls, urls.replace(/\/+$/, '')) as Record<string, string>;
    resolved.set(cacheKey, result);
  }
  return { ...result };
}
