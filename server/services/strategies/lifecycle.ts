import type { StrategyStatus } from '@/db/schema';

/**
 * The strategy lifecycle as ONE transition table (status × event → status); anything not in it is refused.
 * Enforced today: draft, backtested and archived (and editing). paper / live / paused / stopped are modelled
 * here so the trading work only has to fire their events.
 */
export const STRATEGY_EVENTS = [
  'backtest_completed', // a backtest of the strategy completed
  'edit', // params or market changed: earlier backtests no longer describe it
  'archive',
  'restore',
  'start_paper',
  'start_signals', // a signal strategy starts paper trading (no backtest needed: it decides nothing on bars)
  'go_live',
  'pause',
  'resume_paper',
  'resume_live',
  'stop',
] as const;
export type StrategyEvent = (typeof STRATEGY_EVENTS)[number];

export const STRATEGY_TRANSITIONS: Readonly<Record<StrategyStatus, Readonly<Partial<Record<StrategyEvent, StrategyStatus>>>>> = {
  // start_signals: a signal strategy's paper deployment (docs/signals.md), which has no bar decisions to backtest.
  draft: { backtest_completed: 'backtested', edit: 'draft', archive: 'archived', start_signals: 'paper' },
  backtested: { backtest_completed: 'backtested', edit: 'draft', archive: 'archived', start_paper: 'paper', start_signals: 'paper' },
  paper: { backtest_completed: 'paper', go_live: 'live', pause: 'paused', stop: 'stopped' },
  live: { backtest_completed: 'live', pause: 'paused', stop: 'stopped' },
  paused: { backtest_completed: 'paused', resume_paper: 'paper', resume_live: 'live', stop: 'stopped' },
  stopped: { backtest_completed: 'stopped', edit: 'draft', archive: 'archived', start_paper: 'paper', start_signals: 'paper', go_live: 'live' },
  archived: { restore: 'draft' },
};

/** Events a user may fire through the strategies API today (paper/live arrive with the trading work). */
export const USER_STRATEGY_EVENTS: readonly StrategyEvent[] = ['archive', 'restore'];

/** The status after `event`, or null when the table has no such transition. */
export function nextStrategyStatus(status: StrategyStatus, event: StrategyEvent): StrategyStatus | null {
  return STRATEGY_TRANSITIONS[status][event] ?? null;
}

/** The user events available from `status` (for the UI's buttons). */
export function availableStrategyActions(status: StrategyStatus): StrategyEvent[] {
  return USER_STRATEGY_EVENTS.filter((event) => nextStrategyStatus(status, event) !== null);
}

/** Whether the strategy's params and market may change in this status (never while trading or archived). */
export function canEditStrategy(status: StrategyStatus): boolean {
  return nextStrategyStatus(status, 'edit') !== null;
}
