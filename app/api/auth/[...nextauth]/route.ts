import NextAuth from 'next-auth';
import { NextRequest } from 'next/server';
import { withBoundedBody } from '@/server/api/body-limit';
import { errorResponse } from '@/server/api/rest';
import { authOptions } from '@/server/auth/next-auth';

const handler = NextAuth(authOptions);

type NextAuthContext = { params: Promise<{ nextauth: string[] }> };

// GET/POST /api/auth/* – next-auth (sign-in form, session, sign-out); bodies within the JSON limit (413 over it)
async function bounded(req: NextRequest, context: NextAuthContext): Promise<Response> {
  let request: Request;
  try {
    request = await withBoundedBody(req, 'json');
  } catch (error) {
    return errorResponse(error, { method: req.method, url: req.nextUrl.pathname });
  }
  return handler(request === req ? req : new NextRequest(request), context);
}

export { bounded as GET, bounded as POST };
