import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { isValidTimeZone } from '@/server/core/time';
import { ZPassword } from './auth';

export const ZChangePasswordRequestSchema = z
  .object({
    currentPassword: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(200, { error: 'must be at most 200 characters' }),
    newPassword: ZPassword,
  })
  .strict();

/** 'UTC' or the IANA zone of the user's local time, as the browser names it ("Europe/Berlin"). */
export const ZTimeZoneSettingRequestSchema = z
  .object({
    timeZone: safeText({ error: 'must be a string' })
      .max(64, { error: 'must be at most 64 characters' })
      .refine(isValidTimeZone, { error: 'must be UTC or an IANA time zone such as Europe/Berlin' }),
  })
  .strict();
