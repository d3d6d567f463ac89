/**
 * A live signal deployment on the local Binance-speaking test server, as the live-signal and reconciler tests use it:
 * a user, an exchange account with the server's credentials, a signal strategy (stopped: "paper traded before", as a
 * live deployment asks) deployed live with a maximum position, and its signal secret.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { strategies } from '@/db/schema';
import { createAccount, type AccountView } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { createDeployment, type DeploymentDeps, type DeploymentView } from '@/server/services/deployments';
import { rotateSignalSecret } from '@/server/services/signals';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import type { BinanceTestServer } from './binance-test-server';

export async function liveSignalDeployment(
  db: Db,
  server: BinanceTestServer,
  deps: DeploymentDeps,
  options: { name: string; maxPositionQuote: string },
): Promise<{ userId: string; account: AccountView; deployment: DeploymentView; secret: string }> {
  const { name, maxPositionQuote } = options;
  const userId = (await registerUser(db, { username: name, password: 'correct horse battery' })).id;
  const account = await createAccount(db, userId, { name, exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } }, {}, deps);
  const strategy = await createStrategyForUser(db, userId, { name, type: 'signal', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' });
  await db.update(strategies).set({ status: 'stopped' }).where(eq(strategies.id, strategy.id));
  const deployment = await createDeployment(
    db,
    userId,
    strategy.id,
    { accountId: account.id, mode: 'live', maxPositionQuote, confirm: { accountName: name, maxPositionQuote } },
    deps,
  );
  const { secret } = await rotateSignalSecret(db, userId, deployment.id);
  return { userId, account, deployment, secret };
}

/** How many times the server received an order with this clientOrderId. */
export function orderPosts(server: BinanceTestServer, clientOrderId: string): number {
  return server.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && r.query.get('newClientOrderId') === clientOrderId).length;
}
