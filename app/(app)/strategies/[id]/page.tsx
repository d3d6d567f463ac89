import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { StrategyDetail } from '@/components/strategies/strategy-detail';
import { isUuid } from '@/server/core/ids';

export const metadata: Metadata = { title: 'Strategy' };

export default async function StrategyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // An id that is not a UUID names nothing: the 404 page at once, no query.
  if (!isUuid(id)) notFound();
  return <StrategyDetail id={id} />;
}
