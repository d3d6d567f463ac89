import type { Metadata } from 'next';
import { NotBuiltYet } from '@/components/shell/page-header';

export const metadata: Metadata = { title: 'API keys' };

export default function Page() {
  return <NotBuiltYet title="API keys" what="Platform API keys with scopes and rotation arrive with the API keys and security work." />;
}
