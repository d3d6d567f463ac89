'use client';

import { AlertList } from '@/components/deployments/alert-list';
import { LiveIndicator } from '@/components/deployments/live-indicator';
import { PageHeader } from '@/components/shell/page-header';
import { useLiveEvents } from '@/components/trpc/use-live-events';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { DeploymentsCard } from './deployments-card';
import { EquityCurveCard } from './equity-curve-card';
import { GetStartedCard } from './get-started-card';
import { PortfolioSummary, PositionsCard } from './portfolio-summary';
import { RecentOrdersCard } from './recent-orders-card';
import { SystemStatus } from './system-status';

/**
 * The dashboard: equity and its curve, P&L, open positions, running deployments, recent orders and fills,
 * alerts. One live subscription keeps every part current without a reload.
 */
export function DashboardClient() {
  const live = useLiveEvents();
  return (
    <>
      <PageHeader title="Dashboard" description="Equity, P&L, positions, deployments, orders and alerts — live." actions={<LiveIndicator status={live} />} />
      <div className="space-y-6">
        <GetStartedCard />
        <PortfolioSummary stale={live === 'reconnecting'} />
        <div className="grid gap-6 lg:grid-cols-3">
          <div className="min-w-0 space-y-6 lg:col-span-2">
            <EquityCurveCard />
            <DeploymentsCard />
            <RecentOrdersCard />
          </div>
          <div className="min-w-0 space-y-6">
            <Card>
              <CardHeader>
                <CardTitle>Alerts</CardTitle>
              </CardHeader>
              <CardContent>
                <AlertList limit={10} />
              </CardContent>
            </Card>
            <PositionsCard />
            <SystemStatus />
          </div>
        </div>
      </div>
    </>
  );
}
