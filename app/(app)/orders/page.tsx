import type { Metadata } from 'next';
import { OrdersPageClient } from '@/components/orders/orders-page-client';

export const metadata: Metadata = { title: 'Orders' };

export default function OrdersPage() {
  return <OrdersPageClient />;
}
