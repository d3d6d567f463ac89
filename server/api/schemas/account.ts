import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { ZPassword } from './auth';

export const ZChangePasswordRequestSchema = z
  .object({
    currentPassword: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(200, { error: 'must be at most 200 characters' }),
    newPassword: ZPassword,
  })
  .strict();
