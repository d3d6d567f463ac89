import type { Metadata } from 'next';
import { safeCallbackPath } from '@/components/auth/callback-url';
import { LoginForm } from '@/components/auth/login-form';
import { demoLoginExists } from '@/server/auth/demo';

export const metadata: Metadata = { title: 'Sign in' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; registered?: string }> }) {
  const { callbackUrl, registered } = await searchParams;
  // Only same-site paths: an absolute callback URL would be an open redirect.
  const safeCallback = safeCallbackPath(callbackUrl);
  return <LoginForm callbackUrl={safeCallback} registered={registered === '1'} demo={await demoLoginExists()} />;
}
