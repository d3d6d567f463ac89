import { z } from 'zod';
import { multilineText } from '@/server/core/text';

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

const zLatch = z.object({ scope: z.enum(['user', 'global']), since: z.string(), by: z.string().nullable(), reason: z.string().nullable() });

export const ZKillSwitchStateResponseSchema = z.object({
  engaged: z.boolean(),
  scope: z.enum(['user', 'global']).nullable(),
  since: z.string().nullable(),
  by: z.string().nullable(),
  reason: z.string().nullable(),
  latches: z.array(zLatch),
  canRelease: z.boolean(),
});

export const ZEngageKillSwitchResponseSchema = z.object({
  state: ZKillSwitchStateResponseSchema,
  alreadyEngaged: z.boolean(),
  pausedDeployments: z.number(),
  canceledOrders: z.number(),
  cancelRequested: z.number(),
  failures: z.array(z.string()),
});
export const ZReleaseKillSwitchResponseSchema = z.object({ state: ZKillSwitchStateResponseSchema, released: z.boolean() });
