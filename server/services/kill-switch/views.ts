import { z } from 'zod';
import { zTimeOutput } from '@/server/core/time-output';

/** The kill switch as its user sees it: one declaration each (re-exported by server/api/schemas/kill-switch.ts). */

export const KILL_SWITCH_SCOPES = ['user', 'global'] as const;
export type KillSwitchScope = (typeof KILL_SWITCH_SCOPES)[number];

/** An engaged latch as the order path reads it (times ISO 8601 UTC). */
export const ZEngagedLatchSchema = z.object({
  scope: z.enum(KILL_SWITCH_SCOPES),
  since: zTimeOutput(),
  /** Username of who engaged it; null if that account was deleted. */
  by: z.string().nullable(),
  reason: z.string().nullable(),
});
export type EngagedLatch = z.infer<typeof ZEngagedLatchSchema>;

export const ZKillSwitchStateResponseSchema = z.object({
  engaged: z.boolean(),
  /** The latch shown first (the global one when both are engaged); null when released. */
  scope: z.enum(KILL_SWITCH_SCOPES).nullable(),
  since: zTimeOutput().nullable(),
  by: z.string().nullable(),
  reason: z.string().nullable(),
  /** Every engaged latch that covers the caller (its own and the global one). */
  latches: z.array(ZEngagedLatchSchema),
  /** Whether the caller may release every latch that halts them (the global one needs an admin). */
  canRelease: z.boolean(),
});
export type KillSwitchState = z.infer<typeof ZKillSwitchStateResponseSchema>;

export const ZEngageKillSwitchResponseSchema = z.object({
  state: ZKillSwitchStateResponseSchema,
  /** The latch of that scope was already engaged: nothing was done again. */
  alreadyEngaged: z.boolean(),
  pausedDeployments: z.number(),
  /** Paper orders canceled in the engage, plus exchange orders the exchange confirmed canceled after it. */
  canceledOrders: z.number(),
  /** Exchange orders marked for cancellation; those not confirmed yet are the reconciler's. */
  cancelRequested: z.number(),
  failures: z.array(z.string()),
});
export type EngageResult = z.infer<typeof ZEngageKillSwitchResponseSchema>;

export const ZReleaseKillSwitchResponseSchema = z.object({
  state: ZKillSwitchStateResponseSchema,
  /** False when that latch was not engaged. */
  released: z.boolean(),
});
export type ReleaseResult = z.infer<typeof ZReleaseKillSwitchResponseSchema>;
