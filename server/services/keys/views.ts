import { z } from 'zod';
import { zDateOutput } from '@/server/core/time-output';
import { API_KEY_ORIGINS, API_KEY_SCOPES } from '@/db/schema/api-keys';

/**
 * What a key is doing right now:
 *   active     works
 *   rotating   works; a successor issued by the worker waits to be fetched
 *   pending    a successor whose secret has not been fetched yet (nobody can use it until then)
 *   grace      rotated: works until `graceEndsAt`, then stops
 *   retired    rotated and past its grace period
 *   expired    past `expiresAt`
 *   revoked    revoked
 */
export const KEY_STATES = ['active', 'rotating', 'pending', 'grace', 'retired', 'expired', 'revoked'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** An API key as its owner sees it: one declaration (re-exported by server/api/schemas/keys.ts). */
export const ZKeyResponseSchema = z.object({
  id: z.string(),
  prefix: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  origin: z.enum(API_KEY_ORIGINS),
  state: z.enum(KEY_STATES),
  createdAt: zDateOutput(),
  expiresAt: zDateOutput(),
  /** When it stops working: the earlier of its expiry and the end of its grace period. */
  stopsAt: zDateOutput(),
  lastUsedAt: zDateOutput().nullable(),
  rotatedAt: zDateOutput().nullable(),
  graceEndsAt: zDateOutput().nullable(),
  revokedAt: zDateOutput().nullable(),
  revokedReason: z.string().nullable(),
  predecessorId: z.string().nullable(),
  successorId: z.string().nullable(),
});
export type KeyView = z.infer<typeof ZKeyResponseSchema>;

/** The only response that ever carries a key's whole value: when issued (or, for a worker-issued successor, when first fetched). */
export const ZIssuedKeyResponseSchema = ZKeyResponseSchema.extend({ key: z.string() });
export type IssuedKey = z.infer<typeof ZIssuedKeyResponseSchema>;
