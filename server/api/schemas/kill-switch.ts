import { z } from 'zod';
import { multilineText } from '@/server/core/text';
import { ZKillSwitchStateResponseSchema, ZEngageKillSwitchResponseSchema, ZReleaseKillSwitchResponseSchema } from '@/server/services/kill-switch/views';

/** POST /api/v1/kill-switch (and killSwitch.engage): the reason is optional, so engaging is one tap. */
export const ZEngageKillSwitchRequestSchema = z
  .object({
    reason: multilineText({ error: 'must be a string' }).trim().max(500, { error: 'must be at most 500 characters' }).optional(),
    /** Admins only: the latch of every user. */
    global: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .strict();

/** DELETE /api/v1/kill-switch?global=true, POST /api/v1/kill-switch/release {global?} (and killSwitch.release). */
export const ZReleaseKillSwitchRequestSchema = z.object({ global: z.boolean({ error: 'must be true or false' }).optional() }).strict();
export const ZReleaseKillSwitchQuerySchema = z.object({ global: z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).optional() }).strict();

export { ZKillSwitchStateResponseSchema, ZEngageKillSwitchResponseSchema, ZReleaseKillSwitchResponseSchema };
