import type { Metadata } from 'next';
import { CompareView } from '@/components/backtests/compare-view';
import { PageHeader } from '@/components/shell/page-header';

export const metadata: Metadata = { title: 'Compare backtests' };

export default async function ComparePage({ searchParams }: { searchParams: Promise<{ ids?: string }> }) {
  const { ids } = await searchParams;
  const list = (ids ?? '').split(',').filter((id) => /^[0-9a-f-]{36}$/i.test(id)).slice(0, 5);
  return (
    <>
      <PageHeader title="Compare backtests" />
      <CompareView ids={list} />
    </>
  );
}
