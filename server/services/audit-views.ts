import { z } from 'zod';
import { zDateOutput } from '@/server/core/time-output';

/** An audit event as its reader sees it: one declaration (re-exported by server/api/schemas/audit.ts). */
export const ZAuditEventSchema = z.object({
  id: z.number(),
  type: z.string(),
  userId: z.string().nullable(),
  /** The account's current name, or the name presented at a failed sign-in of an unknown user. */
  username: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: zDateOutput(),
});

export const ZAuditListResponseSchema = z.object({ events: z.array(ZAuditEventSchema), nextCursor: z.number().nullable() });
export type AuditEventPage = z.infer<typeof ZAuditListResponseSchema>;
