import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv, ConfigError } from '@/server/env';
import { configPathFrom, loadAppConfig, parseAppConfig } from './index';

describe('exchange config file', () => {
  it('merges a file over the defaults, exchange by exchange', () => {
    const config = parseAppConfig({ exchanges: { binance: { timeoutMs: 2000 }, okx: { rateLimit: { perSecond: 5, perMinute: 100 } } } });
    expect(config.exchanges.binance).toEqual({ enabled: true, timeoutMs: 2000, rateLimit: { perSecond: 10, perMinute: 1200 } });
    expect(config.exchanges.okx).toEqual({ enabled: true, timeoutMs: 10_000, rateLimit: { perSecond: 5, perMinute: 100 } });
    expect(config.exchanges.kraken?.enabled, 'defaults stay').toBe(true);
  });

  it('names each bad field', () => {
    expect(() => parseAppConfig({ exchanges: { binance: { timeoutMs: -1 } } }, 'cfg.json')).toThrow(/cfg\.json: exchanges\.binance\.timeoutMs/);
    expect(() => parseAppConfig({ exchanges: { binance: { enabled: 'yes' } } })).toThrow(/exchanges\.binance\.enabled/);
    expect(() => parseAppConfig({ exchanges: { binance: { colour: 'red' } } })).toThrow(/colour/);
    expect(() => parseAppConfig({ defaultExchange: 'nowhere' })).toThrow(/defaultExchange: "nowhere" is not an enabled exchange/);
  });

  it('reads --config before CRYPTOBOT_CONFIG, and reports unreadable or invalid files', () => {
    expect(configPathFrom(['--config', 'a.json'], { CRYPTOBOT_CONFIG: 'b.json' })).toBe('a.json');
    expect(configPathFrom([], { CRYPTOBOT_CONFIG: 'b.json' })).toBe('b.json');
    expect(configPathFrom([], {})).toBeUndefined();
    expect(() => configPathFrom(['--config'], {})).toThrow(/--config needs a file path/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cbcfg-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{ not json');
    expect(() => loadAppConfig(bad)).toThrow(/is not valid JSON/);
    expect(() => loadAppConfig(path.join(dir, 'missing.json'))).toThrow(/cannot be read/);
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, JSON.stringify({ exchanges: { binance: { enabled: false } }, defaultExchange: 'kraken' }));
    expect(loadAppConfig(good).exchanges.binance?.enabled).toBe(false);
  });
});

describe('environment', () => {
  const valid = { DATABASE_URL: 'postgres://u@h:5432/d', NEXTAUTH_SECRET: 's'.repeat(32), CRYPTOBOT_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };

  it('accepts a complete environment and applies defaults', () => {
    const env = parseEnv(valid);
    expect(env.LOG_LEVEL).toBe('info');
    expect(env.REFRESH_TOKEN_TTL_DAYS).toBe(30);
  });

  it('reports one line per missing or bad variable, naming it', () => {
    try {
      parseEnv({ NEXTAUTH_SECRET: 'short', CRYPTOBOT_MASTER_KEY: 'AAAA' });
      expect.unreachable('an incomplete environment must be refused');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toContain('DATABASE_URL is required but not set');
      expect(problems.find((p) => p.startsWith('NEXTAUTH_SECRET'))).toMatch(/at least 32 characters/);
      expect(problems.find((p) => p.startsWith('CRYPTOBOT_MASTER_KEY'))).toMatch(/32 bytes, base64/);
      expect(problems).toHaveLength(3);
    }
  });
});
