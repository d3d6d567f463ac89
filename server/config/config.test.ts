import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envVariable, faultSettings, loggerSettings, parseCliEnv, parseEnv } from '@/server/env';
import { binanceApiUrls } from '@/server/testing/exchange/binance-test-server';
import {
  configPathFrom,
  exchangeClientSettings,
  exchangeUrlsFromEnv,
  getAppConfig,
  loadAppConfig,
  parseAppConfig,
  resetAppConfig,
  resolveExchangeUrls,
} from './index';

describe('exchange config file', () => {
  it('merges a file over the defaults, exchange by exchange', () => {
    const config = parseAppConfig({ exchanges: { binance: { timeoutMs: 2000 }, okx: { rateLimit: { perSecond: 5, perMinute: 100 } } } });
    expect(config.exchanges.binance).toEqual({ enabled: true, timeoutMs: 2000, rateLimit: { perSecond: 10, perMinute: 1200 } });
    expect(config.exchanges.okx).toEqual({ enabled: true, timeoutMs: 10_000, rateLimit: { perSecond: 5, perMinute: 100 } });
    expect(config.exchanges.kraken?.enabled, 'defaults stay').toBe(true);
  });

  it('gives every ccxt client of an exchange the same timeout, rate limits and resolved URLs', () => {
    const config = parseAppConfig({ exchanges: { binance: { timeoutMs: 2000, urls: 'http://127.0.0.1:4100' } } });
    const settings = exchangeClientSettings('binance', config);
    expect(settings.timeoutMs).toBe(2000);
    expect(settings.rateLimit).toEqual(config.exchanges.binance!.rateLimit);
    expect(settings.urls, 'the URLs resolved as resolveExchangeUrls does').toEqual(resolveExchangeUrls('binance', 'http://127.0.0.1:4100'));
    expect(() => exchangeClientSettings('nowhere', config)).toThrow(/"nowhere" is not configured/);
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
    expect(() => loadAppConfig(bad, {})).toThrow(/is not valid JSON/);
    expect(() => loadAppConfig(path.join(dir, 'missing.json'), {})).toThrow(/cannot be read/);
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, JSON.stringify({ exchanges: { binance: { enabled: false } }, defaultExchange: 'kraken' }));
    expect(loadAppConfig(good, {}).exchanges.binance?.enabled).toBe(false);
  });
});

describe('exchange urls', () => {
  it('a base URL sends every API URL of the exchange there, paths kept; an object replaces the named ones only', () => {
    const config = parseAppConfig({
      exchanges: { binance: { urls: 'http://127.0.0.1:4100/' }, kraken: { urls: { public: 'https://kraken.example:8443/k' } } },
    });
    expect(config.exchanges.binance?.urls, 'validated, merged over the defaults').toBe('http://127.0.0.1:4100/');
    expect(config.exchanges.binance?.timeoutMs, 'the other settings stay').toBe(10_000);
    const binance = resolveExchangeUrls('binance', config.exchanges.binance?.urls)!;
    expect(binance, "what the tests' own helper points ccxt at").toEqual(binanceApiUrls('http://127.0.0.1:4100'));
    expect(binance['public']).toBe('http://127.0.0.1:4100/api/v3');
    expect(binance['private']).toBe('http://127.0.0.1:4100/api/v3');
    expect(
      Object.values(binance).every((url) => url.startsWith('http://127.0.0.1:4100/')),
      'no entry left on a real host',
    ).toBe(true);
    expect(resolveExchangeUrls('kraken', config.exchanges.kraken?.urls)).toEqual({ public: 'https://kraken.example:8443/k' });
    expect(resolveExchangeUrls('coinbase', config.exchanges.coinbase?.urls), 'none configured: none').toBeUndefined();
    // ccxt's templated hosts ("https://api.{hostname}") are replaced too, and nested groups kept whole.
    const bybit = resolveExchangeUrls('bybit', 'http://127.0.0.1:9')!;
    expect(Object.values(bybit).every((url) => typeof url === 'string' && url.startsWith('http://127.0.0.1:9'))).toBe(true);
    const gate = resolveExchangeUrls('gate', 'http://127.0.0.1:9')! as unknown as Record<string, unknown>;
    expect(JSON.stringify(gate)).not.toMatch(/https:\/\/(?!127)/);
  });

  it('refuses bad urls, naming the field', () => {
    expect(() => parseAppConfig({ exchanges: { binance: { urls: 'localhost:4100' } } }, 'cfg.json')).toThrow(
      /cfg\.json: exchanges\.binance\.urls: must be an http\(s\) URL/,
    );
    expect(() => parseAppConfig({ exchanges: { binance: { urls: 'ftp://127.0.0.1' } } })).toThrow(/exchanges\.binance\.urls: must be an http\(s\) URL/);
    expect(() => parseAppConfig({ exchanges: { binance: { urls: 'http://127.0.0.1:4100?x=1' } } })).toThrow(/without query/);
    expect(() => parseAppConfig({ exchanges: { binance: { urls: { public: 'nope' } } } })).toThrow(
      /exchanges\.binance\.urls\.public: must be an http\(s\) URL/,
    );
    expect(() => parseAppConfig({ exchanges: { binance: { urls: {} } } })).toThrow(/exchanges\.binance\.urls: must name at least one API URL/);
    expect(() => parseAppConfig({ exchanges: { binance: { urls: 42 } } })).toThrow(/exchanges\.binance\.urls: must be a base URL string or an object/);
    expect(() => parseAppConfig({ exchanges: { binance: { urls: { pubic: 'http://127.0.0.1:1' } } } }, 'cfg.json')).toThrow(
      /cfg\.json: exchanges\.binance\.urls\.pubic: ccxt's binance has no API URL named "pubic" \(it has: .*public/,
    );
    expect(() => parseAppConfig({ exchanges: { gate: { urls: { public: 'http://127.0.0.1:1' } } } })).toThrow(
      /exchanges\.gate\.urls\.public: is a group of URLs/,
    );
    expect(() => parseAppConfig({ exchanges: { nosuchexchange: { urls: 'http://127.0.0.1:1' } } })).toThrow(
      /exchanges\.nosuchexchange\.urls: "nosuchexchange" is not a ccxt exchange id/,
    );
  });

  it('CRYPTOBOT_EXCHANGE_URLS overrides the file per exchange, and its mistakes are reported under its name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cbcfg-'));
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ exchanges: { binance: { timeoutMs: 3000, urls: 'http://file.example' } } }));
    const config = loadAppConfig(file, { CRYPTOBOT_EXCHANGE_URLS: '{"binance": "http://127.0.0.1:4100", "kraken": {"private": "http://127.0.0.1:4200"}}' });
    expect(config.exchanges.binance).toMatchObject({ timeoutMs: 3000, urls: 'http://127.0.0.1:4100' });
    expect(config.exchanges.kraken?.urls).toEqual({ private: 'http://127.0.0.1:4200' });
    expect(loadAppConfig(undefined, { CRYPTOBOT_EXCHANGE_URLS: '{"binance": "http://127.0.0.1:4100"}' }).exchanges.binance?.urls, 'without a file too').toBe(
      'http://127.0.0.1:4100',
    );
    expect(loadAppConfig(undefined, {}).exchanges.binance?.urls, 'unset: the real hosts').toBeUndefined();

    expect(() => exchangeUrlsFromEnv('{binance')).toThrow(/^CRYPTOBOT_EXCHANGE_URLS is not valid JSON/);
    expect(() => exchangeUrlsFromEnv('"http://127.0.0.1"')).toThrow(/CRYPTOBOT_EXCHANGE_URLS must be a JSON object of exchange id to URL/);
    expect(() => exchangeUrlsFromEnv('{"binance": "127.0.0.1:4100"}')).toThrow(/CRYPTOBOT_EXCHANGE_URLS: binance: must be an http\(s\) URL/);
    expect(() => exchangeUrlsFromEnv('{"binance": {"pubic": "http://127.0.0.1"}}')).toThrow(
      /CRYPTOBOT_EXCHANGE_URLS: binance\.pubic: ccxt's binance has no API URL named "pubic"/,
    );
    expect(() => loadAppConfig(file, { CRYPTOBOT_EXCHANGE_URLS: '[]' }), 'checked before the file').toThrow(/CRYPTOBOT_EXCHANGE_URLS must be a JSON object/);
    expect(exchangeUrlsFromEnv(''), 'empty: none').toEqual({});
  });

  it('getAppConfig reads CRYPTOBOT_EXCHANGE_URLS from the process environment (again after resetAppConfig)', () => {
    const saved = process.env.CRYPTOBOT_EXCHANGE_URLS;
    try {
      process.env.CRYPTOBOT_EXCHANGE_URLS = '{"binance": "http://127.0.0.1:4555"}';
      resetAppConfig();
      expect(getAppConfig().exchanges.binance?.urls).toBe('http://127.0.0.1:4555');
    } finally {
      if (saved === undefined) delete process.env.CRYPTOBOT_EXCHANGE_URLS;
      else process.env.CRYPTOBOT_EXCHANGE_URLS = saved;
      resetAppConfig();
    }
  });
});

describe('environment', () => {
  const valid = { DATABASE_URL: 'postgres://u@h:5432/d', NEXTAUTH_SECRET: 's'.repeat(32), CRYPTOBOT_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };

  it('accepts a complete environment and applies defaults', () => {
    const env = parseEnv(valid);
    expect(env.LOG_LEVEL, 'unset: the logger decides').toBeUndefined();
    expect(loggerSettings(valid)).toEqual({ level: 'info', service: 'web' });
    expect(loggerSettings({ NODE_ENV: 'test' }).level, 'quieter in tests').toBe('warn');
    expect(loggerSettings({ LOG_LEVEL: 'debug', CRYPTOBOT_SERVICE: 'worker' })).toEqual({ level: 'debug', service: 'worker' });
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

describe('the readers of server/env.ts name a bad variable', () => {
  const problemsOf = (read: () => unknown): string[] => {
    try {
      read();
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('the logger, fault injection, single variables and the command-line tools', () => {
    expect(problemsOf(() => loggerSettings({ LOG_LEVEL: 'loud' }))).toEqual([expect.stringMatching(/^LOG_LEVEL must be one of fatal, error, warn, info/)]);
    expect(faultSettings({})).toEqual({ points: new Set(), probability: 1 });
    expect(faultSettings({ CRYPTOBOT_CRASH_POINTS: 'order.after_write, order.after_fill', CRYPTOBOT_CRASH_PROBABILITY: '0.5' })).toEqual({
      points: new Set(['order.after_write', 'order.after_fill']),
      probability: 0.5,
    });
    expect(problemsOf(() => faultSettings({ CRYPTOBOT_CRASH_PROBABILITY: 'often' }))).toEqual(['CRYPTOBOT_CRASH_PROBABILITY must be a probability (0–1)']);
    expect(envVariable('NEXTAUTH_URL', {})).toBeUndefined();
    expect(envVariable('NEXTAUTH_URL', { NEXTAUTH_URL: 'https://bot.example.com' })).toBe('https://bot.example.com');
    expect(problemsOf(() => envVariable('NEXTAUTH_URL', { NEXTAUTH_URL: 'bot.example.com' }))).toEqual([
      expect.stringMatching(/^NEXTAUTH_URL must be the public URL/),
    ]);
    expect(envVariable('NODE_ENV', {}), 'the default').toBe('development');
    expect(parseCliEnv(['CRYPTOBOT_URL', 'DATABASE_URL'], ['DATABASE_URL'], {})).toEqual({ CRYPTOBOT_URL: 'http://localhost:3000' });
    expect(problemsOf(() => parseCliEnv(['DATABASE_URL'], [], {}))).toEqual(['DATABASE_URL is required but not set']);
    expect(problemsOf(() => parseCliEnv(['PORT'], [], { PORT: '70000' }))).toEqual(['PORT must be a port number (1-65535)']);
  });

  it('the web schema holds every variable the web process reads, intervals and limits included', () => {
    const valid = { DATABASE_URL: 'postgres://u@h:5432/d', NEXTAUTH_SECRET: 's'.repeat(32), CRYPTOBOT_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };
    for (const [name, value] of [
      ['LOG_LEVEL', 'loud'],
      ['CRYPTOBOT_REGISTRATION', 'maybe'],
      ['DATABASE_STATEMENT_TIMEOUT_MS', 'abc'],
      ['API_KEY_GRACE_DAYS', '99'],
      ['CRYPTOBOT_CRASH_PROBABILITY', '2'],
      ['PORT', 'eighty'],
      ['CRYPTOBOT_SERVICE', 'Web Server'],
    ]) {
      const problems = problemsOf(() => parseEnv({ ...valid, [name!]: value }));
      expect(problems, `${name}=${value}`).toHaveLength(1);
      expect(problems[0], `${name}=${value}`).toMatch(new RegExp(`^${name} `));
    }
  });
});
