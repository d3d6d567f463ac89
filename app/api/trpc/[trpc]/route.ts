import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '@/server/api/root';
import { retryAfterOfErrors } from '@/server/api/errors';
import { createTrpcContext } from '@/server/api/trpc';
import { rotationHeaders } from '@/server/services/keys';

export const dynamic = 'force-dynamic';

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: () => createTrpcContext({ req }),
    // Calls made with an API key learn when it stops and whether a successor waits, as over REST.
    // A 503 (database busy or down) and a 429 say when to try again, as over REST.
    responseMeta: ({ ctx, errors }) => {
      const headers = new Headers(ctx?.apiKey ? rotationHeaders(ctx.apiKey) : {});
      const retryAfter = retryAfterOfErrors(errors);
      if (retryAfter !== undefined) headers.set('Retry-After', String(retryAfter));
      return { headers };
    },
  });

export { handler as GET, handler as POST };
