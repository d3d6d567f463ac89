import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { BacktestView } from '@/components/backtests/backtest-view';
import { isUuid } from '@/server/core/ids';

export const metadata: Metadata = { title: 'Backtest' };

export default async function BacktestPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // An id that is not a UUID names nothing: the 404 page at once, no query.
  if (!isUuid(id)) notFound();
  return <BacktestView id={id} />;
}
