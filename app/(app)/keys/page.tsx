import type { Metadata } from 'next';
import { KeysPageClient } from '@/components/keys/keys-page-client';
import { PageHeader } from '@/components/shell/page-header';
import { currentUser } from '@/server/auth/session';
import { keysConfig } from '@/server/env';

export const metadata: Metadata = { title: 'API keys' };

export default async function KeysPage() {
  const user = await currentUser();
  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys for scripts and bots: send one as Authorization: Bearer <key> to the REST API or tRPC. At most 90 days; rotated automatically before expiry."
      />
      <KeysPageClient isAdmin={user?.role === 'admin'} graceDays={keysConfig().graceMs / 86_400_000} />
    </>
  );
}
