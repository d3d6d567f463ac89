import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { DeploymentDetail } from '@/components/deployments/deployment-detail';
import { isUuid } from '@/server/core/ids';

export const metadata: Metadata = { title: 'Deployment' };

export default async function DeploymentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // An id that is not a UUID names nothing: the 404 page at once, no query.
  if (!isUuid(id)) notFound();
  return <DeploymentDetail id={id} />;
}
