import { z } from 'zod';
import { safeText } from '@/server/core/text';

/** Shared by the REST handlers, the tRPC procedures and the register form. */
export const ZUsername = safeText({ error: 'must be a string' })
  .min(3, { error: 'must be 3 to 32 characters' })
  .max(32, { error: 'must be 3 to 32 characters' })
  .regex(/^[a-z0-9_-]+$/, { error: 'may contain only a-z, 0-9, _ and -' });

export const ZPassword = safeText({ error: 'must be a string' })
  .min(10, { error: 'is too weak: use at least 10 characters' })
  .max(200, { error: 'must be at most 200 characters' });

/** An invite code (CRYPTOBOT_REGISTRATION=invite): the `invite` parameter of the link an admin created. */
export const ZInviteCode = safeText({ error: 'must be a string' })
  .min(1, { error: 'is required' })
  .max(100, { error: 'is not a valid invite code' })
  .regex(/^[A-Za-z0-9_-]+$/, { error: 'is not a valid invite code (copy the whole link)' });

export const ZRegisterRequestSchema = z.object({ username: ZUsername, password: ZPassword, inviteCode: ZInviteCode.optional() }).strict();

/** Sign-in checks no password rules: a wrong password is a 401, never a hint about the rules. */
export const ZTokenRequestSchema = z
  .object({
    username: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(200),
    password: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(200),
  })
  .strict();

export const ZRefreshRequestSchema = z.object({ refreshToken: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(500) }).strict();

export const ZUserResponseSchema = z.object({ id: z.string().uuid(), username: z.string(), role: z.enum(['admin', 'user']) });

export const ZTokenPairResponseSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** seconds until the access token expires */
  expiresIn: z.number().int(),
});

/** Who may register here: shown by the register form before anyone types. */
export const ZRegistrationStatusResponseSchema = z.object({
  mode: z.enum(['open', 'invite', 'closed']),
  /** True on an empty database: the first account may always register (and becomes the admin). */
  firstAccount: z.boolean(),
});
export type RegistrationStatusResponse = z.infer<typeof ZRegistrationStatusResponseSchema>;

/** POST /api/v1/auth/register answers the new account's id and name. */
export const ZRegisteredUserResponseSchema = ZUserResponseSchema.pick({ id: true, username: true });
