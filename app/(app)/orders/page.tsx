import type { Metadata } from 'next';
import { NotBuiltYet } from '@/components/shell/page-header';

export const metadata: Metadata = { title: 'Orders' };

export default function Page() {
  return <NotBuiltYet title="Orders" what="Orders, fills and the manual order ticket arrive with the live and paper trading work." />;
}
