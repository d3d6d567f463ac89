import type { Metadata } from 'next';
import { DeploymentsPageClient } from '@/components/deployments/deployments-page-client';

export const metadata: Metadata = { title: 'Deployments' };

export default function DeploymentsPage() {
  return <DeploymentsPageClient />;
}
