import type { Metadata } from 'next';
import { PageHeader } from '@/components/shell/page-header';
import { ScriptList } from '@/components/scripts/script-list';

export const metadata: Metadata = { title: 'Scripts' };

export default function ScriptsPage() {
  return (
    <>
      <PageHeader title="Scripts" description="Your own strategies in TypeScript, against the same SDK as the built-ins; they run sandboxed in the worker." />
      <ScriptList />
    </>
  );
}
