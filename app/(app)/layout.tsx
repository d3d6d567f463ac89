import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { loginHref } from '@/components/auth/callback-url';
import { TimeZoneProvider } from '@/components/format/time-zone';
import { AppShell } from '@/components/shell/app-shell';
import { currentTimeZone, currentUser } from '@/server/auth/session';
import { REQUEST_PATH_HEADER } from '@/proxy';

export const dynamic = 'force-dynamic';

export default async function SignedInLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  // Back to the page that was asked for after the sign-in (proxy.ts passes its path on).
  if (!user) redirect(loginHref((await headers()).get(REQUEST_PATH_HEADER)));
  const timeZone = await currentTimeZone(user.id);
  return (
    <TimeZoneProvider timeZone={timeZone}>
      <AppShell user={{ username: user.username, role: user.role }}>{children}</AppShell>
    </TimeZoneProvider>
  );
}
