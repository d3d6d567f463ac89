import { AppError } from '@/server/core/errors';
import { MAX_FILE_CHARS } from '@/server/services/market-data/limits';

/** Refuses a body announced as larger than the biggest file we accept, before reading it. */
export function assertBodySize(req: Request, field = 'candles'): void {
  const length = Number(req.headers.get('content-length') ?? 0);
  if (length > MAX_FILE_CHARS + 1024 * 1024) {
    throw AppError.validation([{ field, message: `the request body is ${Math.round(length / 1024 / 1024)} MB; the limit is ${MAX_FILE_CHARS / 1024 / 1024} MB (send at most 50,000 candles per request)` }]);
  }
}
