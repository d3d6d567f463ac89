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

export const ZRegisterRequestSchema = z.object({ username: ZUsername, password: ZPassword }).strict();
export type RegisterRequest = z.infer<typeof ZRegisterRequestSchema>;

/** Sign-in checks no password rules: a wrong password is a 401, never a hint about the rules. */
export const ZTokenRequestSchema = z
  .object({ username: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(200), password: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(200) })
  .strict();

export const ZRefreshRequestSchema = z.object({ refreshToken: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(500) }).strict();

export const ZUserResponseSchema = z.object({ id: z.string().uuid(), username: z.string(), role: z.enum(['admin', 'user']) });
export type UserResponse = z.infer<typeof ZUserResponseSchema>;

export const ZTokenPairResponseSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** seconds until the access token expires */
  expiresIn: z.number().int(),
});
export type TokenPairResponse = z.infer<typeof ZTokenPairResponseSchema>;
