import type { Metadata } from 'next';
import { CoveragePanel } from '@/components/market-data/coverage-panel';
import { ImportPanel } from '@/components/market-data/import-panel';
import { UploadForm } from '@/components/market-data/upload-form';
import { PageHeader } from '@/components/shell/page-header';
import { currentUser } from '@/server/auth/session';
import { enabledExchanges } from '@/server/services/market-data/exchange';
import { SIMULATED_EXCHANGE } from '@/server/services/market-data/series-key';

export const metadata: Metadata = { title: 'Data' };

export default async function DataPage() {
  const user = await currentUser();
  const isAdmin = user?.role === 'admin';
  const { defaultExchange, exchanges } = enabledExchanges();
  return (
    <>
      <PageHeader
        title="Data"
        description={
          isAdmin
            ? 'Stored candles, file uploads and exchange imports. Candles are shared by every user.'
            : 'Stored candles, shared by every user. Import a market from an exchange; file uploads are for admins.'
        }
      />
      <div className="space-y-6">
        <CoveragePanel isAdmin={isAdmin} importableExchanges={exchanges} />
        {isAdmin ? (
          <div className="grid gap-6 lg:grid-cols-2">
            <UploadForm exchanges={[...exchanges, SIMULATED_EXCHANGE]} defaultExchange={defaultExchange} />
            <ImportPanel exchanges={exchanges} defaultExchange={defaultExchange} />
          </div>
        ) : (
          <ImportPanel exchanges={exchanges} defaultExchange={defaultExchange} />
        )}
      </div>
    </>
  );
}
