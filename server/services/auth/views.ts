import { z } from 'zod';
import { zDateOutput } from '@/server/core/time-output';

/** An invite's state (what each means: server/services/auth/invites.ts). */
export const INVITE_STATES = ['active', 'used', 'expired', 'revoked'] as const;
export type InviteState = (typeof INVITE_STATES)[number];

/** An invite as admins see it: one declaration (re-exported by server/api/schemas/invites.ts). */
export const ZInviteResponseSchema = z.object({
  id: z.string(),
  /** The code's first characters, to tell invites apart; never enough to use it. */
  codePrefix: z.string(),
  note: z.string(),
  state: z.enum(INVITE_STATES),
  createdAt: zDateOutput(),
  createdBy: z.string().nullable(),
  expiresAt: zDateOutput(),
  usedAt: zDateOutput().nullable(),
  usedBy: z.string().nullable(),
  revokedAt: zDateOutput().nullable(),
});
export type InviteView = z.infer<typeof ZInviteResponseSchema>;

export const ZIssuedInviteResponseSchema = ZInviteResponseSchema.extend({
  /** The whole code, returned once, when created. */
  code: z.string(),
  /** The path of the invite link: `/register?invite=<code>`. */
  path: z.string(),
});
export type IssuedInvite = z.infer<typeof ZIssuedInviteResponseSchema>;
