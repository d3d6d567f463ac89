import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '@/server/api/root';
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
    responseMeta: ({ ctx }) => (ctx?.apiKey ? { headers: new Headers(rotationHeaders(ctx.apiKey)) } : {}),
  });

export { handler as GET, handler as POST };
