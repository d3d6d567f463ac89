import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { ZInviteResponseSchema, ZIssuedInviteResponseSchema } from '@/server/services/auth/views';

/** Shared by the REST handlers, the tRPC procedures and the invites page. */
export const INVITE_EXPIRY_CHOICES = [
  { hours: 1, label: '1 hour' },
  { hours: 24, label: '1 day' },
  { hours: 24 * 7, label: '7 days' },
  { hours: 24 * 30, label: '30 days' },
] as const;

export const ZCreateInviteRequestSchema = z
  .object({
    expiresInHours: z
      .number({ error: 'must be a number of hours' })
      .int({ error: 'must be a whole number of hours' })
      .min(1, { error: 'must be from 1 to 720 hours (30 days)' })
      .max(720, { error: 'must be from 1 to 720 hours (30 days)' }),
    note: safeText({ error: 'must be a string' }).trim().max(100, { error: 'must be at most 100 characters' }).optional(),
  })
  .strict();

export const ZInviteIdSchema = z.object({ id: z.uuid({ error: 'must be an invite id (a UUID)' }) }).strict();

export type InviteResponse = z.infer<typeof ZInviteResponseSchema>;

export const ZInviteListResponseSchema = z.object({
  invites: z.array(ZInviteResponseSchema),
  /** The server's CRYPTOBOT_REGISTRATION, so the page can say whether invites are needed or usable. */
  mode: z.enum(['open', 'invite', 'closed']),
});

export { ZInviteResponseSchema, ZIssuedInviteResponseSchema };
