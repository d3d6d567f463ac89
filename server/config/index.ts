import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import defaults from './defaults.json';

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
  return result.data;
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

export function loadAppConfig(configPath?: string): AppConfig {
  if (!configPath) return parseAppConfig({}, 'defaults');
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
  return parseAppConfig(json, resolved);
}

let cached: AppConfig | undefined;
export function getAppConfig(): AppConfig {
  cached ??= loadAppConfig(configPathFrom(process.argv, process.env));
  return cached;
}
