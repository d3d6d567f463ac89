import { assertAllowed, json, parseInput, readOptionalJson, searchParams, withUser } from '@/server/api/rest';
import { ZEngageKillSwitchRequestSchema, ZReleaseKillSwitchQuerySchema } from '@/server/api/schemas/kill-switch';
import { engageKillSwitch, getKillSwitchState, releaseKillSwitch } from '@/server/services/kill-switch';

// GET /api/v1/kill-switch – whether a kill switch latch halts your trading: {engaged, scope, since, by, reason, latches, canRelease}
export const GET = withUser(async ({ db, user }) => json(await getKillSwitchState(db, user)));

// POST /api/v1/kill-switch {reason?, global?} – engages the latch: refuses new orders, pauses deployments, cancels open orders (global: admins)
export const POST = withUser(async (ctx) => {
  const input = await readOptionalJson(ctx.req, ZEngageKillSwitchRequestSchema);
  if (input.global) assertAllowed(ctx, 'admin', { admin: true });
  return json(await engageKillSwitch(ctx.db, ctx.user, input));
});

// DELETE /api/v1/kill-switch?global=true – releases your latch (global: admins)
export const DELETE = withUser(async (ctx) => {
  const global = parseInput(ZReleaseKillSwitchQuerySchema, searchParams(ctx.req)).global === 'true';
  if (global) assertAllowed(ctx, 'admin', { admin: true });
  return json(await releaseKillSwitch(ctx.db, ctx.user, { global }));
});
