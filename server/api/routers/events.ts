import { z } from 'zod';
import { userEvents, withHeartbeats } from '@/server/api/realtime';
import { USER_APP_EVENT_KINDS } from '@/server/services/events';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';

/**
 * Live updates over SSE (httpSubscriptionLink): `trpc.events.stream.subscriptionOptions({ kinds })`.
 * Each event is one kind of the AppEvent union (server/services/events.ts): narrow by `kind`, refetch by its ids.
 * A `heartbeat` comes first and after every 10 s of silence: a client that misses them knows the stream is dead.
 */
export const eventsRouter = createTRPCRouter({
  stream: protectedProcedure
    .input(
      z
        .object({ kinds: z.array(z.enum(USER_APP_EVENT_KINDS)).max(20).optional() })
        .strict()
        .optional(),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const kinds = input?.kinds ? new Set(input.kinds) : undefined;
      yield* withHeartbeats(userEvents(ctx.user.id, signal, kinds));
    }),
});
