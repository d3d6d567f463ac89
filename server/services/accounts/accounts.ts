/**
 * Exchange accounts: paper accounts (balances in Postgres) and real exchange accounts (ccxt, credentials
 * encrypted at rest). Every query is scoped by the user's id; another user's account is "not found".
 * Credentials never leave this module except to build an exchange client: the API sees at most the last
 * four characters of the API key.
 */
import { randomUUID } from 'node:crypto';
import { isUuid } from '@/server/core/ids';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { exchangeAccounts, orders, paperBalances } from '@/db/schema';
import { AppError, type FieldIssue } from '@/server/core/errors';
import { add, formatDecimal } from '@/server/core/money';
import type { ExchangeCredentials } from '@/server/exchange/ccxt-adapter';
import { isExchangeError, redactSecrets } from '@/server/exchange/errors';
import type { Balances } from '@/server/exchange/ports';
import { logger } from '@/server/logger';
import { recordAudit } from '@/server/services/audit';
import {
  CredentialsDecryptionError,
  decryptCredentials,
  encryptCredentials,
  masterKeysFromEnv,
  type EncryptedCredentials,
  type MasterKey,
} from '@/server/services/crypto';
import {
  CREDENTIAL_FIELDS,
  defaultExchangeConnector,
  enabledExchanges,
  exchangeOption,
  PAPER_EXCHANGE,
  type ExchangeConnector,
  type ExchangeOption,
} from './exchanges';
import type { AccountBalances, AccountView, BalanceView, ConnectionTestResult } from './views';

export const DEFAULT_PAPER_FEE_RATE = '0.001';
export const DEFAULT_PAPER_SLIPPAGE = '0.0005';

export type AccountRow = typeof exchangeAccounts.$inferSelect;

export interface CredentialsInput {
  apiKey: string;
  secret: string;
  password?: string;
}

export interface CreateAccountInput {
  name: string;
  exchange: string;
  balances?: Record<string, string>;
  feeRate?: string;
  slippage?: string;
  credentials?: CredentialsInput;
}

export interface UpdateAccountInput {
  name?: string;
  feeRate?: string;
  slippage?: string;
  credentials?: CredentialsInput;
}

/** What the services need from outside: the master keys and how to reach an exchange. Tests override both. */
export interface AccountDeps {
  keys?: readonly MasterKey[];
  connect?: ExchangeConnector;
  /** Which real exchanges are allowed (default: the enabled ones in the config). */
  exchanges?: () => ExchangeOption[];
}

interface Meta {
  ip?: string | null;
}

/** The core's id check (server/core/ids.ts), re-exported where services have always found it. */
export { isUuid };

const keysOf = (deps: AccountDeps) => deps.keys ?? masterKeysFromEnv();

function toView(row: AccountRow): AccountView {
  return {
    id: row.id,
    name: row.name,
    exchange: row.exchange,
    kind: row.exchange === PAPER_EXCHANGE ? 'paper' : 'exchange',
    feeRate: row.feeRate === null ? null : formatDecimal(row.feeRate),
    slippage: row.slippage === null ? null : formatDecimal(row.slippage),
    apiKeyHint: row.apiKeyHint ? `…${row.apiKeyHint}` : null,
    hasCredentials: row.credentialsCiphertext !== null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function fail(fields: FieldIssue[]): never {
  throw AppError.validation(fields);
}

/** The exchange must be "paper" or enabled in the config; real exchanges need exactly their credentials. */
function checkExchangeInput(
  input: { exchange: string; balances?: unknown; feeRate?: unknown; slippage?: unknown; credentials?: CredentialsInput },
  deps: AccountDeps,
): ExchangeOption | null {
  if (input.exchange === PAPER_EXCHANGE) {
    if (input.credentials) fail([{ field: 'credentials', message: 'paper accounts take no credentials' }]);
    return null;
  }
  const allowed = (deps.exchanges ?? enabledExchanges)();
  const option = allowed.find((o) => o.id === input.exchange);
  if (!option) {
    const ids = [PAPER_EXCHANGE, ...allowed.map((o) => o.id)].join(', ');
    fail([{ field: 'exchange', message: `"${input.exchange}" is not an enabled exchange (use one of: ${ids})` }]);
  }
  const issues: FieldIssue[] = [];
  for (const field of ['balances', 'feeRate', 'slippage'] as const) {
    if (input[field] !== undefined) issues.push({ field, message: 'is only for paper accounts (a real exchange reports its own)' });
  }
  if (issues.length) fail(issues);
  checkCredentials(option, input.credentials);
  return option;
}

function checkCredentials(option: ExchangeOption, credentials: CredentialsInput | undefined): void {
  if (!credentials) fail([{ field: 'credentials', message: `are required for ${option.id}: ${option.requiredCredentials.join(', ')}` }]);
  const issues: FieldIssue[] = [];
  for (const field of option.requiredCredentials) {
    if (!credentials[field]) issues.push({ field: `credentials.${field}`, message: `is required for ${option.id}` });
  }
  if (credentials.password && !option.requiredCredentials.includes('password')) {
    issues.push({ field: 'credentials.password', message: `${option.id} takes no password (passphrase)` });
  }
  if (issues.length) fail(issues);
}

function encryptFor(deps: AccountDeps, userId: string, accountId: string, credentials: CredentialsInput) {
  const [current] = keysOf(deps);
  if (!current) throw new Error('no master key configured');
  const encrypted = encryptCredentials(
    current,
    { userId, accountId },
    { apiKey: credentials.apiKey, secret: credentials.secret, password: credentials.password },
  );
  return {
    credentialsNonce: encrypted.nonce,
    credentialsCiphertext: encrypted.ciphertext,
    credentialsKeyVersion: encrypted.keyVersion,
    apiKeyHint: credentials.apiKey.length >= 8 ? credentials.apiKey.slice(-4) : null,
  };
}

function uniqueNameConflict(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; constraint_name?: string } } | null)?.cause ?? (error as { code?: string; constraint_name?: string });
  return cause?.code === '23505' && cause.constraint_name === 'exchange_accounts_user_name_idx';
}

function nameTaken(): AppError {
  return new AppError('CONFLICT', 'you already have an account with this name', {
    fields: [{ field: 'name', message: 'is already used by another of your accounts' }],
  });
}

export async function createAccount(db: Db, userId: string, input: CreateAccountInput, meta: Meta = {}, deps: AccountDeps = {}): Promise<AccountView> {
  checkExchangeInput(input, deps);
  const id = randomUUID();
  const paper = input.exchange === PAPER_EXCHANGE;
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(exchangeAccounts)
        .values({
          id,
          userId,
          name: input.name,
          exchange: input.exchange,
          feeRate: paper ? (input.feeRate ?? DEFAULT_PAPER_FEE_RATE) : null,
          slippage: paper ? (input.slippage ?? DEFAULT_PAPER_SLIPPAGE) : null,
          ...(input.credentials ? encryptFor(deps, userId, id, input.credentials) : {}),
        })
        .returning();
      if (!row) throw new Error('insert returned no row');
      const balances = Object.entries(input.balances ?? {});
      if (paper && balances.length) {
        await tx.insert(paperBalances).values(balances.map(([asset, free]) => ({ accountId: id, asset, free, used: '0' })));
      }
      await recordAudit(tx, {
        type: 'exchange_account.added',
        userId,
        ip: meta.ip,
        details: {
          accountId: id,
          name: input.name,
          exchange: input.exchange,
          ...(paper ? { balances: input.balances ?? {} } : { apiKeyHint: row.apiKeyHint }),
        },
      });
      return toView(row);
    });
  } catch (error) {
    if (uniqueNameConflict(error)) throw nameTaken();
    throw error;
  }
}

export async function listAccounts(db: DbOrTx, userId: string): Promise<AccountView[]> {
  const rows = await db
    .select()
    .from(exchangeAccounts)
    .where(eq(exchangeAccounts.userId, userId))
    .orderBy(asc(exchangeAccounts.createdAt), asc(exchangeAccounts.name));
  return rows.map(toView);
}

/** The user's account row, or NOT_FOUND (also for another user's id and for ids that are not uuids). */
export async function findOwnedAccount(db: DbOrTx, userId: string, accountId: string, options: { forUpdate?: boolean } = {}): Promise<AccountRow> {
  if (!isUuid(accountId)) throw AppError.notFound('account');
  const query = db
    .select()
    .from(exchangeAccounts)
    .where(and(eq(exchangeAccounts.id, accountId), eq(exchangeAccounts.userId, userId)))
    .limit(1);
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) throw AppError.notFound('account');
  return row;
}

export async function getAccount(db: DbOrTx, userId: string, accountId: string): Promise<AccountView> {
  return toView(await findOwnedAccount(db, userId, accountId));
}

export async function updateAccount(
  db: Db,
  userId: string,
  accountId: string,
  input: UpdateAccountInput,
  meta: Meta = {},
  deps: AccountDeps = {},
): Promise<AccountView> {
  try {
    return await db.transaction(async (tx) => {
      const row = await findOwnedAccount(tx, userId, accountId, { forUpdate: true });
      const paper = row.exchange === PAPER_EXCHANGE;
      const changes: Partial<typeof exchangeAccounts.$inferInsert> = {};
      if (input.name !== undefined) changes.name = input.name;
      if (paper) {
        if (input.credentials) fail([{ field: 'credentials', message: 'paper accounts take no credentials' }]);
        if (input.feeRate !== undefined) changes.feeRate = input.feeRate;
        if (input.slippage !== undefined) changes.slippage = input.slippage;
      } else {
        const issues = (['feeRate', 'slippage'] as const)
          .filter((f) => input[f] !== undefined)
          .map((field) => ({ field, message: 'is only for paper accounts' }));
        if (issues.length) fail(issues);
        if (input.credentials) {
          const option = exchangeOption(row.exchange);
          if (!option) fail([{ field: 'exchange', message: `"${row.exchange}" is not a ccxt exchange` }]);
          checkCredentials(option, input.credentials);
          Object.assign(changes, encryptFor(deps, userId, accountId, input.credentials));
        }
      }
      if (Object.keys(changes).length === 0) return toView(row);
      const [updated] = await tx
        .update(exchangeAccounts)
        .set({ ...changes, updatedAt: new Date() })
        .where(and(eq(exchangeAccounts.id, accountId), eq(exchangeAccounts.userId, userId)))
        .returning();
      if (!updated) throw AppError.notFound('account');
      await recordAudit(tx, {
        type: 'exchange_account.changed',
        userId,
        ip: meta.ip,
        // Which fields changed, never their secret values.
        details: {
          accountId,
          exchange: row.exchange,
          changed: Object.keys(input).filter((k) => input[k as keyof UpdateAccountInput] !== undefined),
          ...(input.name !== undefined ? { name: input.name } : {}),
        },
      });
      return toView(updated);
    });
  } catch (error) {
    if (uniqueNameConflict(error)) throw nameTaken();
    throw error;
  }
}

/** Deletes an account with its paper balances and order history; refused while orders are open or unsettled. */
export async function deleteAccount(db: Db, userId: string, accountId: string, meta: Meta = {}): Promise<{ id: string; deleted: true }> {
  return db.transaction(async (tx) => {
    const row = await findOwnedAccount(tx, userId, accountId, { forUpdate: true });
    const live = await tx
      .select({ id: orders.id })
      .from(orders)
      .where(and(eq(orders.accountId, accountId), inArray(orders.status, ['new', 'open', 'partially_filled', 'unknown'])))
      .limit(1);
    if (live.length) throw new AppError('CONFLICT', 'this account has open or unsettled orders: cancel them (or wait until they settle) before deleting it');
    await tx.delete(exchangeAccounts).where(and(eq(exchangeAccounts.id, accountId), eq(exchangeAccounts.userId, userId)));
    await recordAudit(tx, { type: 'exchange_account.removed', userId, ip: meta.ip, details: { accountId, name: row.name, exchange: row.exchange } });
    return { id: accountId, deleted: true as const };
  });
}

/** The account's decrypted credentials; for building an exchange client only, never for a response or a log. */
export function accountCredentials(row: AccountRow, deps: AccountDeps = {}): ExchangeCredentials {
  if (!row.credentialsCiphertext || !row.credentialsNonce || !row.credentialsKeyVersion) {
    throw new AppError('UNPROCESSABLE', 'this account has no stored credentials', {
      fields: [{ field: 'credentials', message: 'are missing: add them on the account' }],
    });
  }
  const encrypted: EncryptedCredentials = { nonce: row.credentialsNonce, ciphertext: row.credentialsCiphertext, keyVersion: row.credentialsKeyVersion };
  try {
    return decryptCredentials(keysOf(deps), { userId: row.userId, accountId: row.id }, encrypted);
  } catch (error) {
    if (error instanceof CredentialsDecryptionError) {
      logger.error(
        { accountId: row.id, userId: row.userId, keyVersion: row.credentialsKeyVersion, reason: error.message },
        'exchange credentials cannot be decrypted',
      );
      throw new AppError(
        'UNAVAILABLE',
        'the stored credentials of this account cannot be decrypted; an administrator must check the master key (see docs/accounts.md)',
      );
    }
    throw error;
  }
}

/** An exchange client for a real account (credentials decrypted here, kept in the client only). */
export function exchangeFor(row: AccountRow, deps: AccountDeps = {}) {
  const credentials = accountCredentials(row, deps);
  return { exchange: (deps.connect ?? defaultExchangeConnector())({ exchangeId: row.exchange, accountId: row.id, credentials }), credentials };
}

async function paperBalanceView(db: DbOrTx, accountId: string): Promise<Record<string, BalanceView>> {
  const rows = await db.select().from(paperBalances).where(eq(paperBalances.accountId, accountId)).orderBy(asc(paperBalances.asset));
  return Object.fromEntries(
    rows.map((r) => [r.asset, { free: formatDecimal(r.free), used: formatDecimal(r.used), total: formatDecimal(add(r.free, r.used)) }]),
  );
}

/** A user-facing message for an exchange failure, with every credential scrubbed out. */
export function exchangeFailureMessage(error: unknown, secrets: ReadonlyArray<string | undefined>): { kind: string; message: string } {
  if (isExchangeError(error)) {
    const hint =
      error.kind === 'fatal'
        ? 'the exchange refused the credentials (check the API key, secret and its permissions)'
        : error.kind === 'retryable'
          ? 'the exchange could not be reached (network, DNS or maintenance); try again later'
          : 'the exchange refused the request';
    return { kind: error.kind, message: `${hint}: ${redactSecrets(error.message, secrets)}` };
  }
  return { kind: 'unexpected', message: 'the exchange call failed unexpectedly' };
}

export async function getAccountBalance(db: DbOrTx, userId: string, accountId: string, deps: AccountDeps = {}): Promise<AccountBalances> {
  const row = await findOwnedAccount(db, userId, accountId);
  if (row.exchange === PAPER_EXCHANGE) return { accountId, source: 'paper', balances: await paperBalanceView(db, accountId) };
  const { exchange, credentials } = exchangeFor(row, deps);
  let balances: Balances;
  try {
    balances = await exchange.fetchBalance();
  } catch (error) {
    const failure = exchangeFailureMessage(error, [credentials.apiKey, credentials.secret, credentials.password]);
    logger.warn({ accountId, userId, exchange: row.exchange, kind: failure.kind, reason: failure.message }, 'fetching an exchange balance failed');
    throw new AppError(failure.kind === 'fatal' ? 'UNPROCESSABLE' : 'UNAVAILABLE', `${row.exchange}: ${failure.message}`);
  }
  return { accountId, source: 'exchange', balances };
}

/** "Test connection": a balance fetch through the real client. A failure is a result, not an error. */
export async function testAccountConnection(db: DbOrTx, userId: string, accountId: string, deps: AccountDeps = {}): Promise<ConnectionTestResult> {
  const row = await findOwnedAccount(db, userId, accountId);
  if (row.exchange === PAPER_EXCHANGE) {
    const balances = await paperBalanceView(db, accountId);
    return { ok: true, exchange: row.exchange, message: 'paper account: balances are kept in the database', assets: Object.keys(balances).length };
  }
  let secrets: Array<string | undefined> = [];
  try {
    const { exchange, credentials } = exchangeFor(row, deps);
    secrets = [credentials.apiKey, credentials.secret, credentials.password];
    const balances = await exchange.fetchBalance();
    const assets = Object.keys(balances).length;
    return { ok: true, exchange: row.exchange, message: `connected to ${row.exchange}: ${assets} asset${assets === 1 ? '' : 's'} with a balance`, assets };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, exchange: row.exchange, kind: 'credentials', message: error.message };
    const failure = exchangeFailureMessage(error, secrets);
    logger.info({ accountId, userId, exchange: row.exchange, kind: failure.kind }, 'account connection test failed');
    return { ok: false, exchange: row.exchange, kind: failure.kind, message: `could not connect to ${row.exchange}: ${failure.message}` };
  }
}

/** The exchanges the account form offers: paper plus the enabled ccxt exchanges with their credential fields. */
export function accountExchangeOptions(deps: AccountDeps = {}): Array<{ id: string; name: string; requiredCredentials: string[] }> {
  return [
    { id: PAPER_EXCHANGE, name: 'Paper (simulated)', requiredCredentials: [] },
    ...(deps.exchanges ?? enabledExchanges)().map((o) => ({ id: o.id, name: o.name, requiredCredentials: [...o.requiredCredentials] })),
  ];
}

export { CREDENTIAL_FIELDS, PAPER_EXCHANGE };
