import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, exchangeAccounts } from '@/db/schema';
import { resetAppConfig } from '@/server/config';
import { AppError } from '@/server/core/errors';
import { clearMarketCache, createCcxtExchange } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, binanceApiUrls } from '@/server/testing/exchange/binance-test-server';
import { registerUser } from '@/server/services/auth/users';
import { decryptCredentials, parseMasterKey, type MasterKey } from '@/server/services/crypto';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import {
  accountCredentials,
  createAccount,
  deleteAccount,
  getAccount,
  getAccountBalance,
  listAccounts,
  testAccountConnection,
  updateAccount,
  type AccountDeps,
} from './accounts';
import type { ExchangeConnector, ExchangeOption } from './exchanges';
import { rotateMasterKey } from './rotate';

const OLD_KEY = parseMasterKey(randomBytes(32).toString('base64'));
const NEW_KEY = parseMasterKey(randomBytes(32).toString('base64'));
const EXCHANGES: ExchangeOption[] = [
  { id: 'binance', name: 'Binance', requiredCredentials: ['apiKey', 'secret'], unsupportedCredentials: [] },
  { id: 'okx', name: 'OKX', requiredCredentials: ['apiKey', 'secret', 'password'], unsupportedCredentials: [] },
];

let t: TestDatabase;
let server: BinanceTestServer;
let alice: string;
let bob: string;

const connectToTestServer: ExchangeConnector = ({ exchangeId, accountId, credentials }) =>
  createCcxtExchange({
    exchangeId,
    accountId,
    credentials,
    timeoutMs: 2000,
    rateLimit: { perSecond: 1000, perMinute: 100_000 },
    urls: binanceApiUrls(server.baseUrl),
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });

const deps = (keys: MasterKey[] = [OLD_KEY]): AccountDeps => ({ keys, exchanges: () => EXCHANGES, connect: connectToTestServer });

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError, the call succeeded');
}

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ balances: { USDT: '1234.5', BTC: '0.25' } }).start();
  clearMarketCache();
  alice = (await registerUser(t.db, { username: 'alice-acc', password: 'long enough pw' })).id;
  bob = (await registerUser(t.db, { username: 'bob-acc', password: 'long enough pw' })).id;
});
afterAll(async () => {
  await server?.close();
  await t?.destroy();
});

describe('paper accounts', () => {
  it('are created with starting balances, default fee and slippage, and report their balance', async () => {
    const account = await createAccount(t.db, alice, { name: 'Paper 1', exchange: 'paper', balances: { USDT: '10000' } }, {}, deps());
    expect(account, 'defaults of the paper exchange').toMatchObject({
      exchange: 'paper',
      kind: 'paper',
      feeRate: '0.001',
      slippage: '0.0005',
      hasCredentials: false,
      apiKeyHint: null,
    });
    const balance = await getAccountBalance(t.db, alice, account.id, deps());
    expect(balance.balances, 'the chosen starting balance, all free').toEqual({ USDT: { free: '10000', used: '0', total: '10000' } });
    const test = await testAccountConnection(t.db, alice, account.id, deps());
    expect(test.ok, 'a paper account always connects').toBe(true);
  });

  it('refuse credentials, and a real exchange refuses paper-only fields', async () => {
    const paperWithKeys = await errorOf(createAccount(t.db, alice, { name: 'x', exchange: 'paper', credentials: { apiKey: 'k', secret: 's' } }, {}, deps()));
    expect(paperWithKeys.code).toBe('UNPROCESSABLE');
    expect(paperWithKeys.details?.fields?.[0]?.field, 'names the offending field').toBe('credentials');
    const realWithBalances = await errorOf(
      createAccount(t.db, alice, { name: 'x', exchange: 'binance', balances: { USDT: '1' }, credentials: { apiKey: 'k', secret: 's' } }, {}, deps()),
    );
    expect(realWithBalances.details?.fields?.map((f) => f.field)).toEqual(['balances']);
  });
});

describe('exchange accounts: validation', () => {
  it('needs every credential the exchange requires, naming the missing field', async () => {
    const missingAll = await errorOf(createAccount(t.db, alice, { name: 'b', exchange: 'binance' }, {}, deps()));
    expect(missingAll.details?.fields?.[0], 'no credentials at all').toMatchObject({ field: 'credentials' });
    const missingPassword = await errorOf(
      createAccount(t.db, alice, { name: 'o', exchange: 'okx', credentials: { apiKey: 'key-123456', secret: 'sec-123456' } }, {}, deps()),
    );
    expect(missingPassword.code).toBe('UNPROCESSABLE');
    expect(
      missingPassword.details?.fields?.map((f) => f.field),
      'okx needs a passphrase',
    ).toEqual(['credentials.password']);
  });

  it('refuses an unknown or disabled exchange', async () => {
    const unknown = await errorOf(createAccount(t.db, alice, { name: 'k', exchange: 'kraken', credentials: { apiKey: 'a', secret: 'b' } }, {}, deps()));
    expect(unknown.code).toBe('UNPROCESSABLE');
    expect(unknown.details?.fields?.[0]?.field).toBe('exchange');
    expect(unknown.message, 'lists what is allowed').toContain('paper, binance, okx');
  });

  it('refuses a second account with the same name for the same user, not for another user', async () => {
    await createAccount(t.db, alice, { name: 'Same', exchange: 'paper' }, {}, deps());
    expect((await errorOf(createAccount(t.db, alice, { name: 'Same', exchange: 'paper' }, {}, deps()))).code).toBe('CONFLICT');
    const bobs = await createAccount(t.db, bob, { name: 'Same', exchange: 'paper' }, {}, deps());
    expect(bobs.name, 'names are per user').toBe('Same');
  });
});

describe('exchange accounts: credentials at rest', () => {
  const apiKey = 'AKIA-binance-apikey-9f8e';
  const secret = 'super-secret-value-0123456789abcdef';

  it('stores no plaintext secret and returns only the last 4 characters of the API key', async () => {
    const account = await createAccount(t.db, alice, { name: 'Binance main', exchange: 'binance', credentials: { apiKey, secret } }, {}, deps());
    expect(account.apiKeyHint, 'the last 4 characters only').toBe('…9f8e');
    expect(JSON.stringify(account), 'the API view never carries a credential').not.toContain(secret);
    expect(JSON.stringify(account)).not.toContain(apiKey);
    const raw = await t.db.execute<Record<string, unknown>>(sql`select * from exchange_accounts where id = ${account.id}`);
    const rowText = JSON.stringify(raw[0]);
    expect(rowText, 'the secret is not in the row').not.toContain(secret);
    expect(rowText, 'nor the API key').not.toContain(apiKey);
    expect(rowText, 'nor their base64').not.toContain(Buffer.from(secret).toString('base64').slice(0, 16));
    expect(raw[0]?.credentials_key_version, 'the key version is stored with the row').toBe(OLD_KEY.version);
    const audit = await t.db.select().from(auditEvents).where(eq(auditEvents.userId, alice));
    expect(
      audit.map((a) => a.type),
      'adding the account is audited',
    ).toContain('exchange_account.added');
    expect(JSON.stringify(audit), 'the audit trail holds no secret').not.toContain(secret);
  });

  it('decrypts for the account it was written for; a tampered byte or a moved ciphertext fails', async () => {
    const a = await createAccount(
      t.db,
      alice,
      { name: 'Tamper A', exchange: 'binance', credentials: { apiKey: 'key-a-123456', secret: 'secret-a-123456' } },
      {},
      deps(),
    );
    const b = await createAccount(
      t.db,
      alice,
      { name: 'Tamper B', exchange: 'binance', credentials: { apiKey: 'key-b-123456', secret: 'secret-b-123456' } },
      {},
      deps(),
    );
    const [rowA] = await t.db.select().from(exchangeAccounts).where(eq(exchangeAccounts.id, a.id));
    expect(accountCredentials(rowA!, deps()), 'the row decrypts for its own account').toEqual({ apiKey: 'key-a-123456', secret: 'secret-a-123456' });

    const bytes = Buffer.from(rowA!.credentialsCiphertext!, 'base64');
    bytes[3] = bytes[3]! ^ 0x01;
    const tampered = { ...rowA!, credentialsCiphertext: bytes.toString('base64') };
    expect(() => accountCredentials(tampered, deps()), 'one flipped bit fails authentication').toThrow(/cannot be decrypted/);

    // Copy A's ciphertext into B's row, in the database, then read B.
    await t.db
      .update(exchangeAccounts)
      .set({ credentialsNonce: rowA!.credentialsNonce, credentialsCiphertext: rowA!.credentialsCiphertext })
      .where(eq(exchangeAccounts.id, b.id));
    const [movedB] = await t.db.select().from(exchangeAccounts).where(eq(exchangeAccounts.id, b.id));
    expect(() => accountCredentials(movedB!, deps()), 'a ciphertext moved to another account does not decrypt').toThrow(/cannot be decrypted/);
    expect(
      () =>
        decryptCredentials(
          [OLD_KEY],
          { userId: bob, accountId: a.id },
          { nonce: rowA!.credentialsNonce!, ciphertext: rowA!.credentialsCiphertext!, keyVersion: OLD_KEY.version },
        ),
      'nor for another user',
    ).toThrow(/failed authentication/);
    const test = await testAccountConnection(t.db, alice, b.id, deps());
    expect(test.ok, 'a broken row fails its connection test with a message, not a crash').toBe(false);
    await deleteAccount(t.db, alice, b.id);
  });

  it('master-key rotation re-encrypts every row in one go and keeps every account usable', async () => {
    const before = await t.db
      .select()
      .from(exchangeAccounts)
      .where(sql`credentials_ciphertext is not null`);
    expect(before.length, 'there are encrypted rows to rotate').toBeGreaterThanOrEqual(2);
    const result = await rotateMasterKey(t.db, [OLD_KEY], NEW_KEY);
    expect(result.rotated, 'every encrypted row').toBe(before.length);
    const after = await t.db
      .select()
      .from(exchangeAccounts)
      .where(sql`credentials_ciphertext is not null`);
    expect(new Set(after.map((r) => r.credentialsKeyVersion)), 'all rows now carry the new key version').toEqual(new Set([NEW_KEY.version]));
    for (const row of after) {
      const old = before.find((r) => r.id === row.id)!;
      expect(row.credentialsCiphertext, 'a fresh ciphertext').not.toBe(old.credentialsCiphertext);
      expect(accountCredentials(row, deps([NEW_KEY])), 'the new key alone decrypts it to the same credentials').toEqual(
        accountCredentials(old, deps([OLD_KEY])),
      );
      expect(() => accountCredentials(row, deps([OLD_KEY])), 'the old key alone no longer does').toThrow(/cannot be decrypted/);
    }
  });

  it('rotation is all or nothing: a row that does not decrypt leaves every row as it was', async () => {
    const other = parseMasterKey(randomBytes(32).toString('base64'));
    const before = await t.db
      .select()
      .from(exchangeAccounts)
      .where(sql`credentials_ciphertext is not null`);
    await expect(rotateMasterKey(t.db, [OLD_KEY], other), 'the rows are under NEW_KEY now, which this run does not have').rejects.toThrow(
      /nothing was changed/,
    );
    const after = await t.db
      .select()
      .from(exchangeAccounts)
      .where(sql`credentials_ciphertext is not null`);
    expect(after.map((r) => r.credentialsCiphertext).sort(), 'unchanged').toEqual(before.map((r) => r.credentialsCiphertext).sort());
  });
});

describe('test connection and balances against the local Binance server', () => {
  it('a real "binance" account with the server credentials connects and shows its balances', async () => {
    const account = await createAccount(
      t.db,
      alice,
      { name: 'Binance test server', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
      {},
      deps([NEW_KEY]),
    );
    const result = await testAccountConnection(t.db, alice, account.id, deps([NEW_KEY]));
    expect(result, 'a signed balance request succeeded').toMatchObject({ ok: true, assets: 2 });
    const balance = await getAccountBalance(t.db, alice, account.id, deps([NEW_KEY]));
    expect(balance.balances.USDT, 'the server balance as decimal strings').toEqual({ free: '1234.5', used: '0', total: '1234.5' });
    expect(server.count('GET', '/api/v3/account'), 'the account endpoint was really called').toBeGreaterThanOrEqual(2);
  });

  it('a wrong secret fails with a clear message that never contains the credentials', async () => {
    const wrongSecret = 'wrong-secret-0123456789-xyz';
    const account = await createAccount(
      t.db,
      alice,
      { name: 'Binance wrong', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: wrongSecret } },
      {},
      deps([NEW_KEY]),
    );
    const result = await testAccountConnection(t.db, alice, account.id, deps([NEW_KEY]));
    expect(result.ok, 'the server checks the signature').toBe(false);
    expect(result.message, 'says what failed').toMatch(/could not connect to binance/);
    expect(result.message, 'no secret in the message').not.toContain(wrongSecret);
    expect(result.message, 'no API key in the message').not.toContain(server.apiKey);
  });

  it('offline (nothing listening) the test fails with a clear message instead of an error', async () => {
    const offline: ExchangeConnector = (p) =>
      createCcxtExchange({
        ...p,
        timeoutMs: 500,
        rateLimit: { perSecond: 1000, perMinute: 100_000 },
        urls: binanceApiUrls('http://127.0.0.1:9'),
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
    const account = await createAccount(
      t.db,
      alice,
      { name: 'Binance offline', exchange: 'binance', credentials: { apiKey: 'offline-key-1234', secret: 'offline-secret-5678' } },
      {},
      deps([NEW_KEY]),
    );
    const result = await testAccountConnection(t.db, alice, account.id, { ...deps([NEW_KEY]), connect: offline });
    expect(result, 'unreachable exchange').toMatchObject({ ok: false, kind: 'retryable' });
    expect(result.message).toMatch(/could not be reached/);
    const balanceError = await errorOf(getAccountBalance(t.db, alice, account.id, { ...deps([NEW_KEY]), connect: offline }));
    expect(balanceError.code, 'the balance of an unreachable exchange is a 503, not a 500').toBe('UNAVAILABLE');
  });
});

describe('the exchange config decides where account requests go', () => {
  it('without an injected connector, balance and connection test go to the config urls of the exchange (CRYPTOBOT_EXCHANGE_URLS)', async () => {
    const saved = process.env.CRYPTOBOT_EXCHANGE_URLS;
    const before = server.count('GET', '/api/v3/account');
    try {
      process.env.CRYPTOBOT_EXCHANGE_URLS = JSON.stringify({ binance: server.baseUrl });
      resetAppConfig();
      const configured: AccountDeps = { keys: [NEW_KEY], exchanges: () => EXCHANGES };
      const account = await createAccount(
        t.db,
        alice,
        { name: 'Binance by config', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
        {},
        configured,
      );
      expect(await testAccountConnection(t.db, alice, account.id, configured)).toMatchObject({ ok: true, assets: 2 });
      expect((await getAccountBalance(t.db, alice, account.id, configured)).balances.USDT).toEqual({ free: '1234.5', used: '0', total: '1234.5' });
      expect(server.count('GET', '/api/v3/account') - before, 'both signed calls reached the configured server').toBe(2);
    } finally {
      if (saved === undefined) delete process.env.CRYPTOBOT_EXCHANGE_URLS;
      else process.env.CRYPTOBOT_EXCHANGE_URLS = saved;
      resetAppConfig();
    }
  });
});

describe('ownership', () => {
  it("another user's account is not found for every operation; so is a malformed id", async () => {
    const mine = await createAccount(t.db, alice, { name: 'Private', exchange: 'paper', balances: { USDT: '5' } }, {}, deps());
    const attempts = [
      () => getAccount(t.db, bob, mine.id),
      () => getAccountBalance(t.db, bob, mine.id, deps()),
      () => testAccountConnection(t.db, bob, mine.id, deps()),
      () => updateAccount(t.db, bob, mine.id, { name: 'stolen' }, {}, deps()),
      () => deleteAccount(t.db, bob, mine.id),
      () => getAccount(t.db, alice, 'not-a-uuid'),
    ];
    for (const attempt of attempts) expect((await errorOf(attempt())).code, 'NOT_FOUND, never FORBIDDEN (no existence leak)').toBe('NOT_FOUND');
    expect(
      (await listAccounts(t.db, bob)).map((a) => a.id),
      "bob's list does not include alice's account",
    ).not.toContain(mine.id);
    expect((await getAccount(t.db, alice, mine.id)).name, 'untouched').toBe('Private');
  });

  it('update replaces credentials (re-encrypted) and records which fields changed; delete is audited', async () => {
    const account = await createAccount(
      t.db,
      alice,
      { name: 'Rotate creds', exchange: 'binance', credentials: { apiKey: 'first-key-1111', secret: 'first-secret-1111' } },
      {},
      deps([NEW_KEY]),
    );
    const updated = await updateAccount(
      t.db,
      alice,
      account.id,
      { credentials: { apiKey: 'second-key-2222', secret: 'second-secret-2222' } },
      {},
      deps([NEW_KEY]),
    );
    expect(updated.apiKeyHint).toBe('…2222');
    const [row] = await t.db.select().from(exchangeAccounts).where(eq(exchangeAccounts.id, account.id));
    expect(accountCredentials(row!, deps([NEW_KEY])).secret, 'the new secret is what is stored').toBe('second-secret-2222');
    await deleteAccount(t.db, alice, account.id);
    const audit = await t.db.select().from(auditEvents).where(eq(auditEvents.userId, alice));
    const changed = audit.find((a) => a.type === 'exchange_account.changed' && a.details.accountId === account.id);
    expect(changed?.details.changed, 'names the changed fields').toEqual(['credentials']);
    expect(JSON.stringify(audit), 'no secret in any audit row').not.toContain('second-secret-2222');
    expect(
      audit.some((a) => a.type === 'exchange_account.removed' && a.details.accountId === account.id),
      'removal audited',
    ).toBe(true);
    expect((await errorOf(getAccount(t.db, alice, account.id))).code).toBe('NOT_FOUND');
  });
});
