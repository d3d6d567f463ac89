import { assertAllowed, readOptionalJson, reply, withUser } from '@/server/api/rest';
import { ZReleaseKillSwitchRequestSchema, ZReleaseKillSwitchResponseSchema } from '@/server/api/schemas/kill-switch';
import { releaseKillSwitch } from '@/server/services/kill-switch';

// POST /api/v1/kill-switch/release {global?} – releases your latch (global: admins); the same as DELETE /api/v1/kill-switch
export const POST = withUser(async (ctx) => {
  const input = await readOptionalJson(ctx.req, ZReleaseKillSwitchRequestSchema);
  if (input.global) assertAllowed(ctx, 'admin', { admin: true });
  return reply(ZReleaseKillSwitchResponseSchema, await releaseKillSwitch(ctx.db, ctx.user, input));
});
