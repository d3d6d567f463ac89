import type { Metadata } from 'next';
import { NotBuiltYet } from '@/components/shell/page-header';

export const metadata: Metadata = { title: 'Accounts' };

export default function Page() {
  return <NotBuiltYet title="Accounts" what="Paper and exchange accounts arrive with the market-data and exchanges work." />;
}
