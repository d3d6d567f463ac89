import type { Metadata } from 'next';
import { SystemStatus } from '@/components/dashboard/system-status';
import { PageHeader } from '@/components/shell/page-header';

export const metadata: Metadata = { title: 'Dashboard' };

export default function DashboardPage() {
  return (
    <>
      <PageHeader title="Dashboard" description="Equity, positions and running deployments appear here once you trade." />
      <SystemStatus />
    </>
  );
}
