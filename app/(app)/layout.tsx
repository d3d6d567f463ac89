import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { getDatabase } from '@/db/client';
import { AppShell } from '@/components/shell/app-shell';
import { sessionUser } from '@/server/auth/session';

export const dynamic = 'force-dynamic';

export default async function SignedInLayout({ children }: { children: ReactNode }) {
  const user = await sessionUser(getDatabase().db);
  if (!user) redirect('/login');
  return <AppShell user={{ username: user.username, role: user.role }}>{children}</AppShell>;
}
