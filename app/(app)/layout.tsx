import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { TimeZoneProvider } from '@/components/format/time-zone';
import { AppShell } from '@/components/shell/app-shell';
import { currentTimeZone, currentUser } from '@/server/auth/session';

export const dynamic = 'force-dynamic';

export default async function SignedInLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) redirect('/login');
  const timeZone = await currentTimeZone(user.id);
  return (
    <TimeZoneProvider timeZone={timeZone}>
      <AppShell user={{ username: user.username, role: user.role }}>{children}</AppShell>
    </TimeZoneProvider>
  );
}
