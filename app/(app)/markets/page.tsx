import type { Metadata } from 'next';
import { MarketsView } from '@/components/market-data/markets-view';
import { PageHeader } from '@/components/shell/page-header';
import { enabledExchanges } from '@/server/services/market-data/exchange';
import { SIMULATED_EXCHANGE } from '@/server/services/market-data/series-key';

export const metadata: Metadata = { title: 'Markets' };

export default function MarketsPage() {
  const { defaultExchange, exchanges } = enabledExchanges();
  return (
    <>
      <PageHeader
        title="Markets"
        description="Stored candles when there are some, live exchange data when reachable, otherwise the simulated market (labelled)."
      />
      <MarketsView exchanges={[...exchanges, SIMULATED_EXCHANGE]} defaultExchange={defaultExchange} simulatedExchange={SIMULATED_EXCHANGE} />
    </>
  );
}
