import type { Metadata } from 'next';
import { BacktestList } from '@/components/backtests/backtest-list';
import { SweepList } from '@/components/backtests/sweep-list';
import { PageHeader } from '@/components/shell/page-header';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';

export const metadata: Metadata = { title: 'Backtests' };

export default function BacktestsPage() {
  return (
    <>
      <PageHeader title="Backtests" description="Every backtest and parameter sweep you ran; select two or more completed backtests to compare them." />
      <div className="space-y-6">
        <Card>
          <CardHeader>
            <CardTitle>Backtests</CardTitle>
          </CardHeader>
          <CardContent>
            <BacktestList />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Sweeps</CardTitle>
          </CardHeader>
          <CardContent>
            <SweepList />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
