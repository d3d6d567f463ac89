import type { Metadata } from 'next';
import { PageHeader } from '@/components/shell/page-header';
import { StrategyForm } from '@/components/strategies/strategy-form';

export const metadata: Metadata = { title: 'New strategy' };

export default async function NewStrategyPage({ searchParams }: { searchParams: Promise<{ type?: string }> }) {
  // ?type=script:<id>@<version>: the script editor's "Backtest this version" (the form comes from that version's schema)
  const { type } = await searchParams;
  return (
    <>
      <PageHeader title="New strategy" description="Pick a type; its parameters, defaults and limits come from the strategy registry." />
      <div className="max-w-3xl">
        <StrategyForm initialType={typeof type === 'string' ? type : undefined} />
      </div>
    </>
  );
}
