import { accountsRouter } from './routers/accounts';
import { authRouter } from './routers/auth';
import { marketDataRouter } from './routers/market-data';
import { ordersRouter } from './routers/orders';
import { keysRouter } from './routers/keys';
import { auditRouter } from './routers/audit';
import { accountRouter } from './routers/account';
import { backtestsRouter } from './routers/backtests';
import { strategiesRouter } from './routers/strategies';
import { scriptsRouter } from './routers/scripts';
import { eventsRouter } from './routers/events';
import { systemRouter } from './routers/system';
import { invitesRouter } from './routers/invites';
import { portfolioRouter } from './routers/portfolio';
import { alertsRouter, deploymentsRouter } from './routers/deployments';
import { killSwitchRouter } from './routers/kill-switch';
import { notificationsRouter } from './routers/notifications';
import { robustnessRouter } from './routers/robustness';
import { createTRPCRouter } from './trpc';

/** Every area's router; the client's types come from `AppRouter`. */
export const appRouter = createTRPCRouter({
  auth: authRouter,
  marketData: marketDataRouter,
  events: eventsRouter,
  accounts: accountsRouter,
  orders: ordersRouter,
  system: systemRouter,
  keys: keysRouter,
  audit: auditRouter,
  account: accountRouter,
  strategies: strategiesRouter,
  scripts: scriptsRouter,
  backtests: backtestsRouter,
  deployments: deploymentsRouter,
  alerts: alertsRouter,
  killSwitch: killSwitchRouter,
  portfolio: portfolioRouter,
  invites: invitesRouter,
  notifications: notificationsRouter,
  robustness: robustnessRouter,
});

export type AppRouter = typeof appRouter;
