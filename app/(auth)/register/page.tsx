import type { Metadata } from 'next';
import { getDatabase } from '@/db/client';
import { RegisterForm } from '@/components/auth/register-form';
import { registrationMode } from '@/server/auth/limits';
import { registrationStatus } from '@/server/services/auth/users';

export const metadata: Metadata = { title: 'Create an account' };

/** Who may register is decided here (CRYPTOBOT_REGISTRATION), so the form says it before anyone types. */
export default async function RegisterPage({ searchParams }: { searchParams: Promise<{ invite?: string | string[] }> }) {
  const { invite } = await searchParams;
  const status = await registrationStatus(getDatabase().db, registrationMode());
  return <RegisterForm status={status} invite={typeof invite === 'string' ? invite : undefined} />;
}
