import { authRouter } from './routers/auth';
import { systemRouter } from './routers/system';
import { createCallerFactory, createTRPCRouter } from './trpc';

/** Every area's router; the client's types come from `AppRouter`. */
export const appRouter = createTRPCRouter({
  auth: authRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
