'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Check } from 'lucide-react';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states';
import { formatDateTimeSeconds } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';

const SEVERITY: Record<string, string> = { critical: 'border-loss/50 text-loss', warning: 'border-warn/50 text-warn', info: 'border-border text-muted' };
const KIND_LABEL: Record<string, string> = {
  order_rejected: 'order rejected',
  risk_rejected: 'risk refusal',
  circuit_breaker: 'circuit breaker',
  reconciliation: 'reconciliation',
  kill_switch: 'kill switch',
  deployment_completed: 'replay completed',
  signal_rejected: 'signal refused',
};

/**
 * Alerts (rejections, risk refusals, circuit breakers, reconciliation findings, kill switch), newest first,
 * each acknowledgeable; `deploymentId` narrows them to one deployment.
 */
export function AlertList({ deploymentId, limit = 20 }: { deploymentId?: string; limit?: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const zone = useTimeZone();
  const [showAcknowledged, setShowAcknowledged] = useState(false);
  // The API filters by acknowledgement, not by deployment: a deployment's view reads a longer page and narrows it.
  const alerts = useQuery(trpc.alerts.list.queryOptions({ ...(showAcknowledged ? {} : { unacknowledged: 'true' }), limit: deploymentId ? 500 : limit }));
  const acknowledge = useMutation(
    trpc.alerts.acknowledge.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() }) }),
  );

  const rows = (alerts.data ?? []).filter((a) => !deploymentId || a.deploymentId === deploymentId).slice(0, limit);
  return (
    <div className="space-y-2">
      <label className="flex items-center gap-2 text-xs text-muted">
        <input type="checkbox" checked={showAcknowledged} onChange={(e) => setShowAcknowledged(e.target.checked)} /> Show acknowledged
      </label>
      {alerts.isPending ? (
        <SkeletonRows rows={2} />
      ) : alerts.isError ? (
        <ErrorState message={`Could not load the alerts: ${alerts.error.message}`} retry={() => void alerts.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState title={showAcknowledged ? 'No alerts' : 'No unacknowledged alerts'}>
          Order rejections, risk refusals, circuit breakers and reconciliation findings appear here.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-border" aria-label="Alerts">
          {rows.map((alert) => (
            <li key={alert.id} className="flex items-start justify-between gap-3 py-2 text-sm" data-testid="alert-row" data-kind={alert.kind}>
              <div className="min-w-0">
                <div className="flex flex-wrap items-center gap-2">
                  <span className={cn('rounded border px-1.5 py-0.5 text-xs font-medium', SEVERITY[alert.severity])}>{alert.severity}</span>
                  <span className="text-xs text-muted">{KIND_LABEL[alert.kind] ?? alert.kind.replace(/_/g, ' ')}</span>
                  <span className="text-xs text-muted">{formatDateTimeSeconds(alert.createdAt, zone)}</span>
                </div>
                <p className="mt-1 break-words">{alert.message}</p>
                {alert.deploymentId && !deploymentId ? (
                  <Link className="text-xs text-accent hover:underline" href={`/deployments/${alert.deploymentId}`}>
                    Open deployment
                  </Link>
                ) : null}
              </div>
              {alert.acknowledgedAt ? (
                <span className="shrink-0 text-xs text-muted">
                  <Check className="inline h-3 w-3" aria-hidden /> seen
                </span>
              ) : (
                <Button
                  size="sm"
                  variant="ghost"
                  className="shrink-0"
                  disabled={acknowledge.isPending && acknowledge.variables?.id === alert.id}
                  onClick={() => acknowledge.mutate({ id: alert.id })}
                  aria-label={`Acknowledge alert: ${alert.message}`}
                >
                  Acknowledge
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {acknowledge.error ? (
        <p role="alert" className="text-xs text-loss">
          {acknowledge.error.message}
        </p>
      ) : null}
    </div>
  );
}
