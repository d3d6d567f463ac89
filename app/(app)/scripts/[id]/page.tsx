import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { PageHeader } from '@/components/shell/page-header';
import { ScriptEditor } from '@/components/scripts/script-editor';
import { isUuid } from '@/server/core/ids';

export const metadata: Metadata = { title: 'Script' };

export default async function ScriptPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ template?: string }> }) {
  const { id } = await params;
  if (!isUuid(id)) notFound();
  const { template } = await searchParams;
  return (
    <>
      <PageHeader
        title="Script editor"
        description="TypeScript against @cryptobot/sdk. Save compiles and checks it on the server and stores an immutable version."
      />
      <ScriptEditor id={id} template={typeof template === 'string' ? template : null} />
    </>
  );
}
