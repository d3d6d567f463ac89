import { tracked } from '@trpc/server';
import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { userEvents, withHeartbeats } from '@/server/api/realtime';
import { USER_APP_EVENT_KINDS } from '@/server/services/events';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';

/**
 * Live updates over SSE (httpSubscriptionLink): `trpc.events.stream.subscriptionOptions({ kinds })`.
 * Each event is one kind of the AppEvent union (server/services/events.ts), sent with its number in the event log
 * as the SSE `id:` (tRPC's `tracked`: the client receives `{ id, data: event }`); narrow by `kind`, refetch by its
 * ids. A `heartbeat` comes first and after every 10 s of silence: a client that misses them knows the stream is dead.
 *
 * The server ends a stream after CRYPTOBOT_STREAM_MAX_SECONDS (a serverless function's time limit; server/api/trpc.ts);
 * the client reconnects with the last id it received (the Last-Event-ID header, or `lastEventId` in the input, which
 * tRPC's client sends) and gets the events it missed first, in order, none twice (realtime.ts userEvents).
 */
export const eventsRouter = createTRPCRouter({
  stream: protectedProcedure
    .input(
      z
        .object({
          kinds: z.array(z.enum(USER_APP_EVENT_KINDS)).max(20).optional(),
          lastEventId: safeText()
            .regex(/^\d{1,15}$/, { message: 'must be the id of an event this stream sent' })
            .optional(),
        })
        .strict()
        .optional(),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const kinds = input?.kinds ? new Set(input.kinds) : undefined;
      const after = input?.lastEventId === undefined ? undefined : Number(input.lastEventId);
      for await (const item of withHeartbeats(userEvents(ctx.user.id, signal, kinds, after))) {
        if (!('seq' in item)) yield item;
        else if (item.seq === null) yield item.event;
        else yield tracked(String(item.seq), item.event);
      }
    }),
});
