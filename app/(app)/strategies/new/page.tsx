import type { Metadata } from 'next';
import { PageHeader } from '@/components/shell/page-header';
import { StrategyForm } from '@/components/strategies/strategy-form';

export const metadata: Metadata = { title: 'New strategy' };

export default function NewStrategyPage() {
  return (
    <>
      <PageHeader title="New strategy" description="Pick a type; its parameters, defaults and limits come from the strategy registry." />
      <div className="max-w-3xl">
        <StrategyForm />
      </div>
    </>
  );
}
