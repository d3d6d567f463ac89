import type { Metadata } from 'next';
import { NotBuiltYet } from '@/components/shell/page-header';

export const metadata: Metadata = { title: 'Markets' };

export default function Page() {
  return <NotBuiltYet title="Markets" what="Charts, tickers and order books arrive with the market-data work." />;
}
