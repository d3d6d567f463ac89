'use client';

import { useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AppRouter } from '@/server/api/root';
import { useTRPC } from './client';

/**
 * What the page shows about its live updates: connected over SSE, connecting, reconnecting (the stream ended,
 * broke, or went silent: no heartbeat for STALE_AFTER_MS), or polling after an error.
 */
export type LiveStatus = 'live' | 'connecting' | 'reconnecting' | 'polling';

/** One live event: the AppEvent union of server/services/events.ts (NOTIFY → SSE), narrowed by `kind`. */
type StreamItem = inferRouterOutputs<AppRouter>['events']['stream'] extends AsyncIterable<infer E> ? E : never;
export type LiveEvent = Exclude<StreamItem, { id: string; data: unknown }> | Extract<StreamItem, { id: string; data: unknown }>['data'];

/** The event of a stream item: events come numbered (`{ id, data }`, so a reconnect resumes after `id`), heartbeats bare. */
export function liveEventOf(item: StreamItem): LiveEvent {
  return 'data' in item && 'id' in item ? item.data : item;
}

/** The event kinds trading pages react to (heartbeats come with any of them). */
const KINDS: Array<Exclude<LiveEvent['kind'], 'heartbeat'>> = ['deployment', 'order', 'alert', 'kill_switch'];
/** The server sends a heartbeat every 10 s of silence (server/api/realtime.ts): missing two and a half, the stream is stale. */
export const STALE_AFTER_MS = 25_000;
const STALE_CHECK_MS = 1_000;
/** A fast replay sends an event per bar: events within this window become one round of refetches. */
const FLUSH_MS = 400;
/** Only when the subscription has failed: refetch everything this often instead. */
const FALLBACK_POLL_MS = 15_000;

interface Pending {
  deployments: Set<string>;
  orders: Set<string>;
  /** Deployments one of whose orders changed: their equity curve (fills) changed. */
  curves: Set<string>;
  /** A deployment changed state (paused, stopped, …): its orders, balances and alerts may have changed too. */
  stateChanged: boolean;
  alerts: boolean;
  /** The kill switch was engaged or released (here, in another tab, or by an admin for everyone). */
  killSwitch: boolean;
}

const emptyPending = (): Pending => ({ deployments: new Set(), orders: new Set(), curves: new Set(), stateChanged: false, alerts: false, killSwitch: false });

/**
 * Subscribes once to the user's events and invalidates the queries they make stale (deployments, orders,
 * balances, portfolio, alerts), so the page updates without a reload. Call it once per page, at its top.
 */
export function useLiveEvents(): LiveStatus {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const pending = useRef<Pending>(emptyPending());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const invalidate = useCallback(
    (work: Pending | 'all') => {
      const keys: Array<readonly unknown[]> = [];
      if (work === 'all') {
        keys.push(
          trpc.deployments.pathKey(),
          trpc.orders.list.queryKey(),
          trpc.orders.get.queryKey(),
          trpc.accounts.balance.queryKey(),
          trpc.portfolio.pathKey(),
          trpc.alerts.pathKey(),
          trpc.killSwitch.pathKey(),
        );
      } else {
        if (work.deployments.size > 0 || work.orders.size > 0) keys.push(trpc.deployments.list.queryKey());
        for (const id of work.deployments) keys.push(trpc.deployments.get.queryKey({ id }), trpc.deployments.signals.queryKey({ id }));
        for (const id of work.curves) keys.push(trpc.deployments.equity.queryKey({ id }));
        if (work.orders.size > 0 || work.stateChanged) keys.push(trpc.orders.list.queryKey(), trpc.accounts.balance.queryKey(), trpc.portfolio.pathKey());
        for (const id of work.orders) keys.push(trpc.orders.get.queryKey({ id }));
        if (work.alerts || work.stateChanged) keys.push(trpc.alerts.list.queryKey());
        if (work.killSwitch) keys.push(trpc.killSwitch.pathKey());
      }
      for (const queryKey of keys) void queryClient.invalidateQueries({ queryKey });
    },
    [trpc, queryClient],
  );

  // When the stream last said anything (an event or a heartbeat), ms since epoch; null before the first.
  const lastHeard = useRef<number | null>(null);
  const [stale, setStale] = useState(false);

  const onData = useCallback(
    (item: StreamItem) => {
      const event = liveEventOf(item);
      lastHeard.current = Date.now();
      setStale(false);
      if (event.kind === 'heartbeat') return;
      const work = pending.current;
      if (event.kind === 'deployment') {
        work.deployments.add(event.deploymentId);
        // A bar processed carries lastBarTime; anything else is a state change.
        if (event.lastBarTime === undefined || event.state !== 'running') work.stateChanged = true;
      } else if (event.kind === 'order') {
        work.orders.add(event.orderId);
        if (event.deploymentId) {
          work.deployments.add(event.deploymentId);
          work.curves.add(event.deploymentId);
        }
      } else if (event.kind === 'alert') {
        work.alerts = true;
      } else if (event.kind === 'kill_switch') {
        work.killSwitch = true;
        work.stateChanged = true;
      }
      if (timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        const batch = pending.current;
        pending.current = emptyPending();
        invalidate(batch);
      }, FLUSH_MS);
    },
    [invalidate],
  );

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  const subscription = useSubscription(trpc.events.stream.subscriptionOptions({ kinds: KINDS }, { onData }));
  const failed = subscription.status === 'error';

  // After a reconnect, events sent while the stream was down are lost: refetch everything once.
  const connectedBefore = useRef(false);
  const [wasLive, setWasLive] = useState(false);
  useEffect(() => {
    if (subscription.status !== 'pending') return;
    if (connectedBefore.current) invalidate('all');
    connectedBefore.current = true;
    setWasLive(true);
  }, [subscription.status, invalidate]);

  useEffect(() => {
    if (!failed) return;
    const interval = setInterval(() => invalidate('all'), FALLBACK_POLL_MS);
    return () => clearInterval(interval);
  }, [failed, invalidate]);

  // A connected stream that has not said anything for STALE_AFTER_MS (no heartbeat) is as good as broken.
  const connected = subscription.status === 'pending';
  useEffect(() => {
    if (!connected) return;
    lastHeard.current ??= Date.now();
    const interval = setInterval(() => {
      const silent = lastHeard.current !== null && Date.now() - lastHeard.current > STALE_AFTER_MS;
      setStale(silent);
    }, STALE_CHECK_MS);
    return () => clearInterval(interval);
  }, [connected]);

  // Back from silence: what was sent meanwhile may be lost, as after a reconnect.
  const wasStale = useRef(false);
  useEffect(() => {
    if (wasStale.current && !stale) invalidate('all');
    wasStale.current = stale;
  }, [stale, invalidate]);

  // A stream that ended (the server stopped), broke (network) or went silent is 'reconnecting': never 'live' then.
  if (failed) return 'polling';
  if (connected) return stale ? 'reconnecting' : 'live';
  return wasLive ? 'reconnecting' : 'connecting';
}
