import { z } from 'zod';
import {
  ZCreateKeyRequestSchema,
  ZIssuedKeyResponseSchema,
  ZKeyIdSchema,
  ZKeyResponseSchema,
  ZRevokeAllRequestSchema,
  ZRevokeAllResponseSchema,
} from '@/server/api/schemas/keys';
import { createTRPCRouter, protectedProcedure, scopedProcedure } from '@/server/api/trpc';
import { createKey, getKey, keyActor, listKeys, revokeEverything, revokeKey, rotateCurrentKey, rotateKey } from '@/server/services/keys';
import { keysConfig } from '@/server/env';

/** Platform API keys; the same schemas and services as /api/v1/keys (who may do what: authorizeKeyManagement). */
export const keysRouter = createTRPCRouter({
  list: protectedProcedure.output(z.array(ZKeyResponseSchema)).query(({ ctx }) => listKeys(ctx.db, ctx.user.id)),

  get: protectedProcedure
    .input(ZKeyIdSchema)
    .output(ZKeyResponseSchema)
    .query(({ ctx, input }) => getKey(ctx.db, ctx.user.id, input.id)),

  create: protectedProcedure
    .input(ZCreateKeyRequestSchema)
    .output(ZIssuedKeyResponseSchema)
    .mutation(({ ctx, input }) => createKey(ctx.db, keyActor(ctx), input, { ip: ctx.ip })),

  rotate: protectedProcedure
    .input(ZKeyIdSchema)
    .output(ZIssuedKeyResponseSchema)
    .mutation(({ ctx, input }) => rotateKey(ctx.db, keyActor(ctx), input.id, keysConfig(), { ip: ctx.ip })),

  /** Called with an API key: hands out its waiting successor (or rotates it now). Any key may; needs only `read`. */
  rotateCurrent: scopedProcedure('read')
    .output(ZIssuedKeyResponseSchema)
    .mutation(({ ctx }) => rotateCurrentKey(ctx.db, keyActor(ctx), keysConfig(), { ip: ctx.ip })),

  revoke: protectedProcedure
    .input(ZKeyIdSchema)
    .output(ZKeyResponseSchema)
    .mutation(({ ctx, input }) => revokeKey(ctx.db, keyActor(ctx), input.id, { ip: ctx.ip })),

  /** Emergency: every key and session of the caller (admins: optionally of everyone). */
  revokeAll: protectedProcedure
    .input(ZRevokeAllRequestSchema)
    .output(ZRevokeAllResponseSchema)
    .mutation(({ ctx, input }) => revokeEverything(ctx.db, keyActor(ctx), input, { ip: ctx.ip })),
});
