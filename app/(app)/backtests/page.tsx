import type { Metadata } from 'next';
import { NotBuiltYet } from '@/components/shell/page-header';

export const metadata: Metadata = { title: 'Backtests' };

export default function Page() {
  return <NotBuiltYet title="Backtests" what="Queued backtests, results, comparisons and parameter sweeps arrive with the strategies and backtesting work." />;
}
