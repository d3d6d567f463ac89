'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';

/**
 * One strategy type's schema for a form: a built-in's from the registry's list, a script version's
 * (script:<id>@<version>, not in that list) from its declared schema (tRPC strategies.type).
 */
export function useStrategyType(typeName: string) {
  const trpc = useTRPC();
  const script = typeName.startsWith('script:');
  const types = useQuery(trpc.strategies.types.queryOptions(undefined, { enabled: !script }));
  const one = useQuery(trpc.strategies.type.queryOptions({ type: typeName }, { enabled: script }));
  return script ? { type: one.data, isError: one.isError } : { type: types.data?.find((t) => t.type === typeName), isError: types.isError };
}
