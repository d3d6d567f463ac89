import type { Metadata } from 'next';
import { BacktestView } from '@/components/backtests/backtest-view';

export const metadata: Metadata = { title: 'Backtest' };

export default async function BacktestPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <BacktestView id={id} />;
}
