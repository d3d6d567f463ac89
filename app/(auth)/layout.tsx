import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { currentUser } from '@/server/auth/session';

export const dynamic = 'force-dynamic';

export default async function AuthLayout({ children }: { children: ReactNode }) {
  if (await currentUser()) redirect('/');
  return (
    <main className="flex min-h-dvh items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2 text-lg font-semibold">
          <img src="/favicon.svg" alt="" className="h-7 w-7" /> Cryptobot
        </div>
        {children}
      </div>
    </main>
  );
}
