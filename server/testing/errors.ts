import { AppError } from '@/server/core/errors';

/** What a call ended in, for table-like assertions: 'resolved', an AppError code, or 'unexpected: …'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof AppError ? error.code : `unexpected: ${(error as Error).message}`;
  }
}
