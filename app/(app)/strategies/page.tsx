import type { Metadata } from 'next';
import { NotBuiltYet } from '@/components/shell/page-header';

export const metadata: Metadata = { title: 'Strategies' };

export default function Page() {
  return <NotBuiltYet title="Strategies" what="Strategy types, parameter forms and the strategy lifecycle arrive with the strategies and backtesting work." />;
}
