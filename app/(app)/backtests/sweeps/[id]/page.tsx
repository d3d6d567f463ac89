import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { SweepView } from '@/components/backtests/sweep-view';
import { isUuid } from '@/server/core/ids';

export const metadata: Metadata = { title: 'Parameter sweep' };

export default async function SweepPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // An id that is not a UUID names nothing: the 404 page at once, no query.
  if (!isUuid(id)) notFound();
  return <SweepView id={id} />;
}
