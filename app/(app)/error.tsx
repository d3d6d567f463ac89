'use client';

import { ErrorState } from '@/components/ui/states';

export default function SignedInError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ErrorState title="This page failed to load" message={error.digest ? `Error id ${error.digest}` : undefined} retry={reset} />;
}
