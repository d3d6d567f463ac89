import type { Metadata } from 'next';
import { OrdersPageClient } from '@/components/orders/orders-page-client';

export const metadata: Metadata = { title: 'Orders' };

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export default async function OrdersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  return <OrdersPageClient initialFilters={{ accountId: first(params.accountId), status: first(params.status), deploymentId: first(params.deploymentId) }} />;
}
