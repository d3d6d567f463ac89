import type { Metadata } from 'next';
import Link from 'next/link';
import { PageHeader } from '@/components/shell/page-header';
import { StrategyList } from '@/components/strategies/strategy-list';
import { Button } from '@/components/ui/button';

export const metadata: Metadata = { title: 'Strategies' };

export default function StrategiesPage() {
  return (
    <>
      <PageHeader
        title="Strategies"
        description="Configured strategies and their lifecycle: draft → backtested → paper → live → paused / stopped → archived."
        actions={
          <Button asChild>
            <Link href="/strategies/new">New strategy</Link>
          </Button>
        }
      />
      <StrategyList />
    </>
  );
}
