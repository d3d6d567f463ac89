import type { Metadata } from 'next';
import { PageHeader } from '@/components/shell/page-header';
import { PasswordForm, SignOutEverywhere } from '@/components/settings/security-settings';
import { TimeZoneSetting } from '@/components/settings/time-zone-setting';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { currentUser } from '@/server/auth/session';

export const metadata: Metadata = { title: 'Settings' };

export default async function SettingsPage() {
  const user = await currentUser();
  return (
    <>
      <PageHeader title="Settings" />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card className="max-w-md">
          <CardHeader>
            <CardTitle>Account</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
              <dt className="text-muted">Username</dt>
              <dd>{user?.username}</dd>
              <dt className="text-muted">Role</dt>
              <dd>{user?.role}</dd>
            </dl>
          </CardContent>
        </Card>
        <TimeZoneSetting />
        <SignOutEverywhere />
        <PasswordForm username={user?.username ?? ''} />
      </div>
    </>
  );
}
