'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { useTRPC } from '@/components/trpc/client';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ErrorState } from '@/components/ui/states';

/** Times on screen in UTC (the default) or in this browser's zone, stored per user (users.time_zone). */
export function TimeZoneSetting() {
  const trpc = useTRPC();
  const router = useRouter();
  const current = useTimeZone();
  // The browser's own zone is only known after mount (the server renders without it).
  const [browserZone, setBrowserZone] = useState<string | null>(null);
  useEffect(() => setBrowserZone(Intl.DateTimeFormat().resolvedOptions().timeZone), []);
  const save = useMutation(trpc.account.setTimeZone.mutationOptions({ onSuccess: () => router.refresh() }));
  // The pick shows at once (set in the click, not when the mutation's state arrives); the page's times follow
  // when the refreshed layout hands the new zone down. A failed save goes back to the stored zone.
  const [picked, setPicked] = useState<string | null>(null);
  const selected = picked ?? current;
  const local = selected !== 'UTC';
  const choose = (timeZone: string) => {
    if (timeZone === selected) return;
    setPicked(timeZone);
    save.mutate({ timeZone }, { onError: () => setPicked(null) });
  };
  return (
    <Card className="max-w-md">
      <CardHeader>
        <CardTitle>Times</CardTitle>
      </CardHeader>
      <CardContent className="space-y-3 text-sm">
        <fieldset className="space-y-2" disabled={save.isPending}>
          <legend className="mb-1 text-muted">Show times in</legend>
          <label className="flex items-center gap-2">
            <input type="radio" name="timeZone" checked={!local} onChange={() => choose('UTC')} />
            UTC
          </label>
          <label className="flex items-center gap-2">
            <input type="radio" name="timeZone" checked={local} disabled={!browserZone} onChange={() => browserZone && choose(browserZone)} />
            My local time{browserZone ? ` (${local ? selected : browserZone})` : ''}
          </label>
        </fieldset>
        <p className="num text-muted" data-testid="time-zone-example" suppressHydrationWarning>
          Now: {formatDateTime(Date.now(), current)}
        </p>
        <p className="text-xs text-muted">Times are stored in UTC; exports always use UTC (ISO 8601). Date inputs say their zone.</p>
        {save.error ? <ErrorState title="Could not save the time zone" message={save.error.message} /> : null}
      </CardContent>
    </Card>
  );
}
