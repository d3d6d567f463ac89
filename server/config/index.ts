import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import defaults from './defaults.json';
import { appConfigVariables } from '@/server/env';
import { checkExchangeUrls, resolveExchangeUrls, type ExchangeUrlsSetting } from './exchange-urls';

export { resolveExchangeUrls } from './exchange-urls';

/** The environment variable that overrides exchanges' `urls` (JSON: `{"binance": "http://127.0.0.1:4100"}`). */
export const EXCHANGE_URLS_ENV = 'CRYPTOBOT_EXCHANGE_URLS';

const apiUrlSchema = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash && !url.username && !url.password;
    } catch {
      return false;
    }
  },
  { error: 'must be an http(s) URL without query, fragment or credentials, e.g. "http://127.0.0.1:4100"' },
);

/** A base URL for all of the exchange's API URLs, or some of ccxt's `urls.api` entries by name. */
export const exchangeUrlsSchema = z.union(
  [apiUrlSchema, z.record(z.string(), apiUrlSchema).refine((entries) => Object.keys(entries).length > 0, { error: 'must name at least one API URL' })],
  {
    error: 'must be a base URL string or an object of ccxt API URL names to URLs',
  },
);

/**
 * The optional JSON config file (`--config FILE` or `CRYPTOBOT_CONFIG`): which ccxt exchanges are
 * enabled, their timeouts and the rate limits we enforce on top of ccxt's own. Entries in the file
 * are merged over the defaults in server/config/defaults.json, exchange by exchange.
 */
export const exchangeConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    rateLimit: z
      .object({
        perSecond: z.number().positive().max(1_000).default(10),
        perMinute: z.number().positive().max(60_000).default(600),
      })
      .strict()
      .default({ perSecond: 10, perMinute: 600 }),
    /** Where ccxt sends this exchange's requests instead of its public hosts (see ./exchange-urls.ts). */
    urls: exchangeUrlsSchema.optional(),
  })
  .strict();

export const appConfigSchema = z
  .object({
    defaultExchange: z.string().min(1).default('binance'),
    exchanges: z.record(z.string().regex(/^[a-z0-9]+$/, 'exchange ids are ccxt ids: lowercase letters and digits'), exchangeConfigSchema).default({}),
  })
  .strict();

export type ExchangeConfig = z.infer<typeof exchangeConfigSchema>;
export type AppConfig = z.infer<typeof appConfigSchema>;

/** Parses a config object (already JSON-decoded) merged over the defaults; throws naming each bad field. */
export function parseAppConfig(input: unknown, source = 'config'): AppConfig {
  const merged = mergeOverDefaults(input);
  const result = appConfigSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(lines.join('\n'));
  }
  if (!result.data.exchanges[result.data.defaultExchange]?.enabled) {
    throw new Error(`${source}: defaultExchange: "${result.data.defaultExchange}" is not an enabled exchange`);
  }
  const urlProblems = Object.entries(result.data.exchanges).flatMap(([id, exchange]) =>
    exchange.urls === undefined
      ? []
      : checkExchangeUrls(id, exchange.urls).map((p) => `${source}: exchanges.${id}.urls${p.path ? `.${p.path}` : ''}: ${p.message}`),
  );
  if (urlProblems.length > 0) throw new Error(urlProblems.join('\n'));
  return result.data;
}

/**
 * CRYPTOBOT_EXCHANGE_URLS (a JSON object of exchange id → `urls` setting), checked on its own so that
 * a mistake in it is reported under its name, then laid over the config file's exchanges.
 */
export function exchangeUrlsFromEnv(value: string | undefined): Record<string, ExchangeUrlsSetting> {
  if (value === undefined || value.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error) {
    throw new Error(`${EXCHANGE_URLS_ENV} is not valid JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`${EXCHANGE_URLS_ENV} must be a JSON object of exchange id to URL, e.g. {"binance": "http://127.0.0.1:4100"}`);
  }
  const problems: string[] = [];
  const result: Record<string, ExchangeUrlsSetting> = {};
  for (const [id, setting] of Object.entries(json)) {
    const parsed = exchangeUrlsSchema.safeParse(setting);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => `${EXCHANGE_URLS_ENV}: ${[id, ...i.path].join('.')}: ${i.message}`));
      continue;
    }
    const urlProblems = checkExchangeUrls(id, parsed.data);
    if (urlProblems.length > 0) problems.push(...urlProblems.map((p) => `${EXCHANGE_URLS_ENV}: ${id}${p.path ? `.${p.path}` : ''}: ${p.message}`));
    else result[id] = parsed.data;
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return result;
}

function withEnvUrls(input: unknown, urls: Record<string, ExchangeUrlsSetting>): unknown {
  if (Object.keys(urls).length === 0 || input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const file = input as { exchanges?: unknown };
  const exchanges: Record<string, unknown> = file.exchanges && typeof file.exchanges === 'object' ? { ...(file.exchanges as Record<string, unknown>) } : {};
  for (const [id, setting] of Object.entries(urls)) {
    const entry = exchanges[id];
    exchanges[id] = entry && typeof entry === 'object' ? { ...entry, urls: setting } : { urls: setting };
  }
  return { ...file, exchanges };
}

function mergeOverDefaults(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const file = input as { exchanges?: unknown };
  const fileExchanges = file.exchanges && typeof file.exchanges === 'object' ? (file.exchanges as Record<string, unknown>) : {};
  const exchanges: Record<string, unknown> = { ...defaults.exchanges };
  for (const [id, value] of Object.entries(fileExchanges)) {
    const base = (defaults.exchanges as Record<string, object>)[id];
    exchanges[id] = base && value && typeof value === 'object' ? { ...base, ...value } : value;
  }
  return { ...defaults, ...input, exchanges };
}

/** The config path from `--config FILE` on the command line, else CRYPTOBOT_CONFIG, else none. */
export function configPathFrom(argv: string[], env: Record<string, string | undefined>): string | undefined {
  const index = argv.indexOf('--config');
  if (index >= 0) {
    const value = argv[index + 1];
    if (!value) throw new Error('--config needs a file path');
    return value;
  }
  return env.CRYPTOBOT_CONFIG || undefined;
}

/** The config file (or the defaults) with CRYPTOBOT_EXCHANGE_URLS of `env` laid over it. */
export function loadAppConfig(configPath: string | undefined, env: Record<string, string | undefined>): AppConfig {
  const envUrls = exchangeUrlsFromEnv(env[EXCHANGE_URLS_ENV]);
  if (!configPath) return parseAppConfig(withEnvUrls({}, envUrls), 'defaults');
  const resolved = path.resolve(configPath);
  let text: string;
  try {
    text = fs.readFileSync(resolved, 'utf8');
  } catch {
    throw new Error(`config file ${resolved} cannot be read`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`config file ${resolved} is not valid JSON: ${(error as Error).message}`);
  }
  return parseAppConfig(withEnvUrls(json, envUrls), resolved);
}

let cached: AppConfig | undefined;
export function getAppConfig(): AppConfig {
  const env = appConfigVariables();
  cached ??= loadAppConfig(configPathFrom(process.argv, env), env);
  return cached;
}

/**
 * How a ccxt client reaches `exchangeId` by the config: its timeout, rate limits and API URLs (resolved). Every
 * client the services make (market data, accounts) takes these, then adds its own credentials and retry policy.
 */
export function exchangeClientSettings(
  exchangeId: string,
  config: AppConfig = getAppConfig(),
): { timeoutMs: number; rateLimit: ExchangeConfig['rateLimit']; urls?: Record<string, string> } {
  const settings = config.exchanges[exchangeId];
  if (!settings) throw new RangeError(`exchange "${exchangeId}" is not configured`);
  const urls = resolveExchangeUrls(exchangeId, settings.urls);
  return { timeoutMs: settings.timeoutMs, rateLimit: settings.rateLimit, ...(urls ? { urls } : {}) };
}

/** Forgets the config read by getAppConfig, so the next call reads the file and environment again (tests). */
export function resetAppConfig(): void {
  cached = undefined;
}
