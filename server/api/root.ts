import { authRouter } from './routers/auth';
import { eventsRouter } from './routers/events';
import { systemRouter } from './routers/system';
import { createCallerFactory, createTRPCRouter } from './trpc';

/** Every area's router; the client's types come from `AppRouter`. */
export const appRouter = createTRPCRouter({
  auth: authRouter,
  events: eventsRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
