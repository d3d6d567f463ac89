import type { Metadata } from 'next';
import { StrategyDetail } from '@/components/strategies/strategy-detail';

export const metadata: Metadata = { title: 'Strategy' };

export default async function StrategyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <StrategyDetail id={id} />;
}
