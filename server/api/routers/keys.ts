import { z } from 'zod';
import { AppError } from '@/server/core/errors';
import {
  ZCreateKeyRequestSchema,
  ZIssuedKeyResponseSchema,
  ZKeyIdSchema,
  ZKeyResponseSchema,
  ZRevokeAllRequestSchema,
  ZRevokeAllResponseSchema,
} from '@/server/api/schemas/keys';
import { createTRPCRouter, protectedProcedure, scopedProcedure } from '@/server/api/trpc';
import { createKey, getKey, keysConfig, listKeys, revokeEverything, revokeKey, rotateKey } from '@/server/services/keys';

/** Platform API keys; the same schemas and services as /api/v1/keys. */
export const keysRouter = createTRPCRouter({
  list: protectedProcedure.output(z.array(ZKeyResponseSchema)).query(({ ctx }) => listKeys(ctx.db, ctx.user.id)),

  get: protectedProcedure.input(ZKeyIdSchema).output(ZKeyResponseSchema).query(({ ctx, input }) => getKey(ctx.db, ctx.user.id, input.id)),

  create: protectedProcedure
    .input(ZCreateKeyRequestSchema)
    .output(ZIssuedKeyResponseSchema)
    .mutation(({ ctx, input }) => createKey(ctx.db, { id: ctx.user.id, role: ctx.user.role, scopes: ctx.scopes }, input, { ip: ctx.ip })),

  rotate: protectedProcedure
    .input(ZKeyIdSchema)
    .output(ZIssuedKeyResponseSchema)
    .mutation(({ ctx, input }) => rotateKey(ctx.db, ctx.user.id, input.id, keysConfig(), { ip: ctx.ip, via: ctx.apiKey?.id === input.id ? 'key' : 'owner' })),

  /** Called with an API key: hands out its waiting successor (or rotates it now). Needs only `read`. */
  rotateCurrent: scopedProcedure('read')
    .output(ZIssuedKeyResponseSchema)
    .mutation(({ ctx }) => {
      if (!ctx.apiKey) throw new AppError('BAD_REQUEST', 'call this with the API key to rotate (Authorization: Bearer cb_…)');
      return rotateKey(ctx.db, ctx.user.id, ctx.apiKey.id, keysConfig(), { ip: ctx.ip, via: 'key' });
    }),

  revoke: protectedProcedure.input(ZKeyIdSchema).output(ZKeyResponseSchema).mutation(({ ctx, input }) => revokeKey(ctx.db, ctx.user.id, input.id, { ip: ctx.ip })),

  /** Emergency: every key and session of the caller (admins: optionally of everyone). */
  revokeAll: protectedProcedure
    .input(ZRevokeAllRequestSchema)
    .output(ZRevokeAllResponseSchema)
    .mutation(({ ctx, input }) => revokeEverything(ctx.db, { ...ctx.user, scopes: ctx.scopes }, input, { ip: ctx.ip })),
});
