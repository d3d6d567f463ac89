import type { Metadata } from 'next';
import { AuditPageClient } from '@/components/audit/audit-page-client';
import { PageHeader } from '@/components/shell/page-header';
import { currentUser } from '@/server/auth/session';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage() {
  const user = await currentUser();
  return (
    <>
      <PageHeader
        title="Audit log"
        description={
          user?.role === 'admin'
            ? 'Security events of your account; tick “All users” to see everyone’s.'
            : 'Security events of your account: sign-ins, failed sign-ins, API key changes.'
        }
      />
      <AuditPageClient isAdmin={user?.role === 'admin'} />
    </>
  );
}
