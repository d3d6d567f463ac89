import { z } from 'zod';
import { safeText } from '@/server/core/text';
export { ZSignalBodySchema } from '@/server/services/signals/body';
export {
  ZSignalAnswerSchema,
  ZSignalResponseSchema,
  ZSignalSecretResponseSchema,
  ZSignalWebhookResponseSchema,
  type SignalAnswerBody,
} from '@/server/services/signals/views';

/** GET /api/v1/deployments/{id}/signals?limit= */
export const ZListSignalsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).optional() });
/** deployments.signals (tRPC): the same with the deployment's id. */
export const ZListSignalsRequestSchema = ZListSignalsQuerySchema.extend({ id: safeText().min(1).max(64) });
