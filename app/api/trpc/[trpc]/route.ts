import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { trpcBodyClass, withBoundedBody } from '@/server/api/body-limit';
import { appRouter } from '@/server/api/root';
import { retryAfterOfErrors } from '@/server/api/errors';
import { createTrpcContext, toTrpcError } from '@/server/api/trpc';
import { rotationHeaders } from '@/server/services/keys';

export const dynamic = 'force-dynamic';
/**
 * Vercel: how long this function may run (seconds; a literal, read at build). Live streams end on their own after
 * CRYPTOBOT_STREAM_MAX_SECONDS (default 280), just under it, and the browser resumes them (README, "Deployment").
 */
export const maxDuration = 300;

const handler = async (req: Request) => {
  // The body is read here, within its size limit, before the adapter sees it. An oversized body is never
  // read further: the adapter gets the request without it, and every call answers PAYLOAD_TOO_LARGE (413).
  let bounded: Request | null = null;
  let refusal: unknown = null;
  try {
    bounded = await withBoundedBody(req, trpcBodyClass(new URL(req.url).pathname));
  } catch (error) {
    refusal = error;
  }
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: bounded ?? new Request(req.url, { method: req.method, headers: req.headers }),
    router: appRouter,
    createContext: () => (bounded ? createTrpcContext({ req: bounded }) : Promise.reject(toTrpcError(refusal))),
    // Calls made with an API key learn when it stops and whether a successor waits, as over REST.
    // A 503 (database busy or down) and a 429 (throttled) say when to try again (Retry-After), as over REST.
    responseMeta: ({ ctx, errors }) => {
      const headers = new Headers(ctx?.apiKey ? rotationHeaders(ctx.apiKey) : {});
      const retryAfter = retryAfterOfErrors(errors);
      if (retryAfter !== undefined) headers.set('Retry-After', String(retryAfter));
      return { headers };
    },
  });
};

export { handler as GET, handler as POST };
