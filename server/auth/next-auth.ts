import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { getDatabase } from '@/db/client';
import { isAppError } from '@/server/core/errors';
import { textProblem } from '@/server/core/text';
import { envVariable } from '@/server/env';
import { verifyCredentials } from '@/server/services/auth/users';
import type { UserRole } from '@/db/schema';
import { authThrottleConfig } from './limits';

declare module 'next-auth' {
  interface Session {
    user: { id: string; username: string; role: UserRole; sessionVersion: number };
  }
  interface User {
    id: string;
    username: string;
    role: UserRole;
    sessionVersion: number;
  }
}

declare module 'next-auth/jwt' {
  interface JWT {
    id: string;
    username: string;
    role: UserRole;
    sessionVersion: number;
  }
}

/** Browser sessions: the Credentials provider and JWT sessions in an HttpOnly cookie. */
export const authOptions: NextAuthOptions = {
  session: { strategy: 'jwt', maxAge: 7 * 24 * 3600 },
  // Session cookies are HttpOnly and SameSite=Lax (next-auth's defaults, relied on for CSRF together with
  // the Origin/content-type check of server/api/rest.ts assertSameOrigin), and Secure (with the
  // __Secure- prefix) whenever the app is served over https, i.e. in production.
  useSecureCookies: (envVariable('NEXTAUTH_URL') ?? '').startsWith('https://'),
  pages: { signIn: '/login', error: '/login' },
  providers: [
    CredentialsProvider({
      name: 'Username and password',
      credentials: { username: { label: 'Username', type: 'text' }, password: { label: 'Password', type: 'password' } },
      async authorize(credentials, req) {
        const username = credentials?.username ?? '';
        const password = credentials?.password ?? '';
        if (!username || !password || username.length > 200 || password.length > 200) return null;
        // The text rule of every input (server/core/text.ts); the form names the field (InvalidText:<field>).
        if (textProblem(username)) throw new Error('InvalidText:username');
        if (textProblem(password)) throw new Error('InvalidText:password');
        const forwarded = req?.headers?.['x-forwarded-for'];
        const ip = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().slice(0, 64) || null;
        try {
          const user = await verifyCredentials(getDatabase().db, { username, password }, { ip, throttle: authThrottleConfig() });
          return { id: user.id, username: user.username, role: user.role, sessionVersion: user.sessionVersion };
        } catch (error) {
          if (isAppError(error) && error.code === 'TOO_MANY_REQUESTS') throw new Error('TooManyAttempts');
          if (isAppError(error)) return null;
          throw error;
        }
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.id = user.id;
        token.username = user.username;
        token.role = user.role;
        token.sessionVersion = user.sessionVersion;
      }
      return token;
    },
    session({ session, token }) {
      session.user = { id: token.id, username: token.username, role: token.role, sessionVersion: token.sessionVersion };
      return session;
    },
  },
  logger: {
    // next-auth's own logger prints stacks and request data; route its messages through ours, briefly.
    error: (code) => console.error(JSON.stringify({ level: 'error', service: 'next-auth', code })),
    warn: (code) => console.warn(JSON.stringify({ level: 'warn', service: 'next-auth', code })),
    debug: () => {},
  },
};
