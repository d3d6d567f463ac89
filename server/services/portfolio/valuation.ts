/**
 * What an account holds and what it is worth: its balances (paper rows or the exchange's), the marks to
 * price them with, and equity = Σ total balance × mark of ASSET/CURRENCY (the valuation currency at 1).
 * Shared by the portfolio and the equity snapshots, so a snapshot is exactly the equity the API shows.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { exchangeAccounts, paperBalances } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { add, Decimal, formatDecimal, MAX_DECIMAL_PLACES } from '@/server/core/money';
import { logger } from '@/server/logger';
import { exchangeFailureMessage, exchangeFor, PAPER_EXCHANGE, type AccountDeps, type AccountRow, type BalanceView } from '@/server/services/accounts';
import { defaultPaperPriceSource, type OrderDeps } from '@/server/services/orders';
import { exchangeMarks, paperMarks, unitValue, type MarkSource } from './marks';

/** The currency equity and P&L are expressed in when the caller does not choose one. */
export const DEFAULT_VALUATION_CURRENCY = 'USDT';

/** Canonical decimal string, rounded half-even to 18 decimal places (the arithmetic itself is exact to 80 digits). */
export const out = (value: Decimal): string => formatDecimal(value.toDecimalPlaces(MAX_DECIMAL_PLACES));

/** What valuation needs from outside: the paper price feed, the clock, the master keys and the exchange connector. */
export type PortfolioDeps = OrderDeps & AccountDeps;

export interface AccountHoldings {
  balances: Record<string, BalanceView>;
  marks: MarkSource;
}

export interface AccountFailure {
  /** "retryable" (unreachable), "fatal" (credentials refused), "credentials" (missing or undecryptable), ... */
  kind: string;
  message: string;
}

export class AccountValuationError extends Error {
  override readonly name = 'AccountValuationError';
  constructor(readonly failure: AccountFailure) {
    super(failure.message);
  }
}

/** Marks that know no price: positions of an account that cannot be reached are shown unpriced. */
export const NO_MARKS: MarkSource = { latest: async () => null, at: async () => null };

/** Paper balances of one account (rows with a zero total left out), scoped by the account's owner. */
async function paperHoldings(db: DbOrTx, row: AccountRow): Promise<Record<string, BalanceView>> {
  const rows = await db
    .select({ asset: paperBalances.asset, free: paperBalances.free, used: paperBalances.used })
    .from(paperBalances)
    .innerJoin(exchangeAccounts, eq(exchangeAccounts.id, paperBalances.accountId))
    .where(and(eq(paperBalances.accountId, row.id), eq(exchangeAccounts.userId, row.userId)))
    .orderBy(asc(paperBalances.asset));
  return paperBalanceViews(rows);
}

/** Paper balance rows as balance views, rows with a zero total left out (the order of `rows` is kept). */
export function paperBalanceViews(rows: ReadonlyArray<{ asset: string; free: string; used: string }>): Record<string, BalanceView> {
  const balances: Record<string, BalanceView> = {};
  for (const r of rows) {
    const total = add(r.free, r.used);
    if (!total.isZero()) balances[r.asset] = { free: formatDecimal(r.free), used: formatDecimal(r.used), total: formatDecimal(total) };
  }
  return balances;
}

/** The price feed paper accounts are valued with (the one their orders fill against). */
export const paperPricesOf = (db: DbOrTx, deps: PortfolioDeps) => (deps.prices ? deps.prices(db) : defaultPaperPriceSource(db, deps.clock));

/**
 * The account's balances and a mark source for it. For a real account this calls the exchange; any
 * failure (unreachable, credentials refused or missing) is an AccountValuationError with a message safe
 * to show (credentials scrubbed).
 */
export async function accountHoldings(db: DbOrTx, row: AccountRow, deps: PortfolioDeps = {}): Promise<AccountHoldings> {
  if (row.exchange === PAPER_EXCHANGE) {
    return { balances: await paperHoldings(db, row), marks: paperMarks(paperPricesOf(db, deps)) };
  }
  let secrets: Array<string | undefined> = [];
  try {
    const { exchange, credentials } = exchangeFor(row, deps);
    secrets = [credentials.apiKey, credentials.secret, credentials.password];
    const fetched = await exchange.fetchBalance();
    const balances: Record<string, BalanceView> = {};
    for (const asset of Object.keys(fetched).sort()) {
      const entry = fetched[asset]!;
      balances[asset] = { free: formatDecimal(entry.free), used: formatDecimal(entry.used), total: formatDecimal(entry.total) };
    }
    return { balances, marks: guardedMarks(exchangeMarks(exchange), secrets, row) };
  } catch (error) {
    throw valuationError(error, secrets, row);
  }
}

function valuationError(error: unknown, secrets: Array<string | undefined>, row: AccountRow): AccountValuationError {
  if (error instanceof AccountValuationError) return error;
  if (error instanceof AppError) return new AccountValuationError({ kind: 'credentials', message: error.message });
  const failure = exchangeFailureMessage(error, secrets);
  if (failure.kind === 'unexpected')
    logger.warn({ accountId: row.id, userId: row.userId, exchange: row.exchange, err: error }, 'valuing an exchange account failed unexpectedly');
  return new AccountValuationError({ kind: failure.kind, message: `${row.exchange}: ${failure.message}` });
}

/** Ticker failures of a real account surface as AccountValuationErrors too (never a raw ccxt message). */
function guardedMarks(marks: MarkSource, secrets: Array<string | undefined>, row: AccountRow): MarkSource {
  return {
    async latest(symbol) {
      try {
        return await marks.latest(symbol);
      } catch (error) {
        throw valuationError(error, secrets, row);
      }
    },
    at: (symbol, timeMs) => marks.at(symbol, timeMs),
  };
}

export interface Equity {
  /** Σ total × unit value, over the assets that have a price. */
  equity: Decimal;
  /** Assets held that have no price in the valuation currency: left out of `equity`. */
  unpricedAssets: string[];
}

/** Equity of balances in `currency`: the currency at 1, every other asset at the mark of ASSET/CURRENCY. */
export async function equityOf(balances: Record<string, BalanceView>, marks: MarkSource, currency: string): Promise<Equity> {
  let equity = new Decimal(0);
  const unpricedAssets: string[] = [];
  const values = await Promise.all(
    Object.entries(balances).map(async ([asset, balance]) => ({ asset, balance, unit: await unitValue(marks, asset, currency) })),
  );
  for (const { asset, balance, unit } of values) {
    if (unit === null) unpricedAssets.push(asset);
    else equity = equity.plus(unit.times(balance.total));
  }
  return { equity, unpricedAssets };
}
