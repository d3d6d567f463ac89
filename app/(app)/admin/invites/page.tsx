import type { Metadata } from 'next';
import { InvitesPageClient } from '@/components/invites/invites-page-client';
import { PageHeader } from '@/components/shell/page-header';
import { EmptyState } from '@/components/ui/states';
import { currentUser } from '@/server/auth/session';

export const metadata: Metadata = { title: 'Invites' };

export default async function InvitesPage() {
  const user = await currentUser();
  if (user?.role !== 'admin') {
    return (
      <>
        <PageHeader title="Invites" />
        <EmptyState title="This page is for admins">Invites to register are created by an admin of this server.</EmptyState>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Invites" description="Single-use links to create an account on this server. Each works once, until it expires or you revoke it." />
      <InvitesPageClient />
    </>
  );
}
