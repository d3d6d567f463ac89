import { z } from 'zod';
import { multilineText, safeText } from '@/server/core/text';
import { API_KEY_SCOPES } from '@/db/schema';
import { ZKeyResponseSchema, ZIssuedKeyResponseSchema } from '@/server/services/keys/views';

/** Shared by the REST handlers, the tRPC procedures and the keys page. */
export const ZKeyScope = z.enum(API_KEY_SCOPES, { error: `must be one of: ${API_KEY_SCOPES.join(', ')}` });

export const ZKeyName = safeText({ error: 'must be a string' }).trim().min(1, { error: 'is required' }).max(64, { error: 'must be at most 64 characters' });

export const ZCreateKeyRequestSchema = z
  .object({
    name: ZKeyName,
    scopes: z
      .array(ZKeyScope, { error: 'must be a list of scopes, e.g. ["read"]' })
      .min(1, { error: 'pick at least one scope' })
      .max(API_KEY_SCOPES.length, { error: 'lists a scope more than once' })
      .refine((s) => new Set(s).size === s.length, { error: 'lists a scope more than once' }),
    expiresInDays: z
      .number({ error: 'must be a number of days' })
      .int({ error: 'must be a whole number of days' })
      .min(1, { error: 'must be from 1 to 90 days' })
      .max(90, { error: 'must be from 1 to 90 days' })
      .optional(),
  })
  .strict();

export const ZKeyIdSchema = z.object({ id: z.uuid({ error: 'must be a key id (a UUID)' }) }).strict();

export const ZRevokeAllRequestSchema = z
  .object({
    reason: multilineText({ error: 'must be a string' })
      .trim()
      .min(3, { error: 'say why, in at least 3 characters' })
      .max(500, { error: 'must be at most 500 characters' }),
    /** Admins only: every user's keys and sessions. */
    allUsers: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .strict();

export const ZRevokeAllResponseSchema = z.object({ revokedKeys: z.number().int(), signedOutUsers: z.number().int() });

export { ZKeyResponseSchema, ZIssuedKeyResponseSchema };

export const ZKeyListResponseSchema = z.array(ZKeyResponseSchema);
