import { createTRPCRouter, publicProcedure } from '@/server/api/trpc';
import { checkHealth } from '@/server/services/system/health';

export const systemRouter = createTRPCRouter({
  health: publicProcedure.query(({ ctx }) => checkHealth(ctx.db)),
  /** Does nothing; measures the transport in bench/. */
  ping: publicProcedure.query(() => 'pong' as const),
});
