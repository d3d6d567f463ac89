import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { userEvents } from '@/server/api/realtime';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';

/**
 * Live updates over SSE (httpSubscriptionLink): `trpc.events.stream.subscriptionOptions({ kinds })`.
 * Each event names its kind (e.g. "job" for backtest progress) and carries ids to refetch by.
 */
export const eventsRouter = createTRPCRouter({
  stream: protectedProcedure
    .input(z.object({ kinds: z.array(safeText().min(1).max(50)).max(20).optional() }).strict().optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const kinds = input?.kinds ? new Set(input.kinds) : undefined;
      for await (const event of userEvents(ctx.user.id, signal, kinds)) yield event;
    }),
});
