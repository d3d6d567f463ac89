import { z } from 'zod';
import { ZAuditEventSchema, ZAuditListResponseSchema } from '@/server/services/audit-views';

export const AUDIT_CATEGORY_NAMES = ['auth', 'account', 'keys', 'exchange', 'trading', 'data'] as const;

const booleanish = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], { error: 'must be true or false' });

/** Query of GET /api/v1/audit (strings) and of audit.list (typed values) alike. */
export const ZAuditListRequestSchema = z
  .object({
    /** Admins: everyone's events. Ignored for other users, who only ever see their own. */
    allUsers: booleanish.optional(),
    category: z.enum(AUDIT_CATEGORY_NAMES, { error: `must be one of: ${AUDIT_CATEGORY_NAMES.join(', ')}` }).optional(),
    /** The `nextCursor` of the previous page. */
    before: z.coerce
      .number({ error: 'must be an event id' })
      .int({ error: 'must be an event id' })
      .positive({ error: 'must be an event id' })
      .max(Number.MAX_SAFE_INTEGER, { error: 'must be an event id' })
      .optional(),
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be from 1 to 200' })
      .max(200, { error: 'must be from 1 to 200' })
      .optional(),
  })
  .strict();

export { ZAuditEventSchema, ZAuditListResponseSchema };
