import type { Metadata } from 'next';
import { RegisterForm } from '@/components/auth/register-form';
import { currentRegistrationStatus } from '@/server/auth/limits';

export const metadata: Metadata = { title: 'Create an account' };

/** Who may register is decided here (CRYPTOBOT_REGISTRATION), so the form says it before anyone types. */
export default async function RegisterPage({ searchParams }: { searchParams: Promise<{ invite?: string | string[] }> }) {
  const { invite } = await searchParams;
  const status = await currentRegistrationStatus();
  return <RegisterForm status={status} invite={typeof invite === 'string' ? invite : undefined} />;
}
