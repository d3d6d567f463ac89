import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '@/server/api/root';
import { createTrpcContext } from '@/server/api/trpc';
import { AppError } from '@/server/core/errors';
import { rotationHeaders } from '@/server/services/keys';

export const dynamic = 'force-dynamic';

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: () => createTrpcContext({ req }),
    // Calls made with an API key learn when it stops and whether a successor waits, as over REST; a
    // throttled call learns when to retry (Retry-After), as over REST.
    responseMeta: ({ ctx, errors }) => {
      const headers = new Headers(ctx?.apiKey ? rotationHeaders(ctx.apiKey) : {});
      const retryAfter = errors.map((e) => (e.cause instanceof AppError ? e.cause.details?.retryAfterSeconds : undefined)).find((s) => s !== undefined);
      if (retryAfter) headers.set('Retry-After', String(retryAfter));
      return { headers };
    },
  });

export { handler as GET, handler as POST };
