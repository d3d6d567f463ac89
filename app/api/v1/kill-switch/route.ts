import { assertAllowed, parseInput, readOptionalJson, reply, searchParams, withUser } from '@/server/api/rest';
import {
  ZEngageKillSwitchRequestSchema,
  ZEngageKillSwitchResponseSchema,
  ZKillSwitchStateResponseSchema,
  ZReleaseKillSwitchQuerySchema,
  ZReleaseKillSwitchResponseSchema,
} from '@/server/api/schemas/kill-switch';
import { engageKillSwitch, getKillSwitchState, releaseKillSwitch } from '@/server/services/kill-switch';

// GET /api/v1/kill-switch – whether a kill switch latch halts your trading: {engaged, scope, since, by, reason, latches, canRelease}
export const GET = withUser(async ({ db, user }) => reply(ZKillSwitchStateResponseSchema, await getKillSwitchState(db, user)));

// POST /api/v1/kill-switch {reason?, global?} – engages the latch: refuses new orders, pauses deployments, cancels open orders (global: admins)
export const POST = withUser(async (ctx) => {
  const input = await readOptionalJson(ctx.req, ZEngageKillSwitchRequestSchema);
  if (input.global) assertAllowed(ctx, 'admin', { admin: true });
  return reply(ZEngageKillSwitchResponseSchema, await engageKillSwitch(ctx.db, ctx.user, input));
});

// DELETE /api/v1/kill-switch?global=true – releases your latch (global: admins)
export const DELETE = withUser(async (ctx) => {
  const global = parseInput(ZReleaseKillSwitchQuerySchema, searchParams(ctx.req)).global === 'true';
  if (global) assertAllowed(ctx, 'admin', { admin: true });
  return reply(ZReleaseKillSwitchResponseSchema, await releaseKillSwitch(ctx.db, ctx.user, { global }));
});
