import { getServerSession } from 'next-auth';
import { getDatabase, type Db } from '@/db/client';
import { getTimeZone } from '@/server/services/auth/account';
import { findUserById, type AuthUser } from '@/server/services/auth/users';
import { authOptions } from './next-auth';

/** The user of the browser session, if its session version is still current (else signed out). */
export async function sessionUser(db: Db): Promise<AuthUser | null> {
  const session = await getServerSession(authOptions);
  const claims = session?.user;
  if (!claims?.id) return null;
  const user = await findUserById(db, claims.id);
  return user && user.sessionVersion === claims.sessionVersion ? user : null;
}

/** The signed-in user of this request, for pages and layouts, which never reach the database themselves. */
export function currentUser(): Promise<AuthUser | null> {
  return sessionUser(getDatabase().db);
}

/** The zone the signed-in user reads times in ('UTC' or an IANA zone), for the layout's formatting context. */
export function currentTimeZone(userId: string): Promise<string> {
  return getTimeZone(getDatabase().db, userId);
}
