import type { Metadata } from 'next';
import { NotificationsPageClient } from '@/components/notifications/notifications-page-client';
import { PageHeader } from '@/components/shell/page-header';

export const metadata: Metadata = { title: 'Notifications' };

export default function NotificationsPage() {
  return (
    <>
      <PageHeader
        title="Notifications"
        description="Fills, rejections, deployment changes, circuit breakers, the kill switch and reconciliation findings, sent to Telegram, Discord or your own webhook."
      />
      <NotificationsPageClient />
    </>
  );
}
