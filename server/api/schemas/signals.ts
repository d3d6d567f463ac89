import { z } from 'zod';
import { safeText } from '@/server/core/text';
export { ZSignalBodySchema } from '@/server/services/signals/body';
export { ZSignalResponseSchema, ZSignalSecretResponseSchema, ZSignalWebhookResponseSchema } from '@/server/services/signals/views';

/** GET /api/v1/deployments/{id}/signals?limit= (and deployments.signals). */
export const ZListSignalsRequestSchema = z.object({
  id: safeText().min(1).max(64),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});
