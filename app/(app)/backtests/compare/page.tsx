import type { Metadata } from 'next';
import { CompareView } from '@/components/backtests/compare-view';
import { PageHeader } from '@/components/shell/page-header';
import { isUuid } from '@/server/core/ids';

export const metadata: Metadata = { title: 'Compare backtests' };

export default async function ComparePage({ searchParams }: { searchParams: Promise<{ ids?: string }> }) {
  const { ids } = await searchParams;
  const list = (ids ?? '').split(',').filter(isUuid).slice(0, 5);
  return (
    <>
      <PageHeader title="Compare backtests" />
      <CompareView ids={list} />
    </>
  );
}
