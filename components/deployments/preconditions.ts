/**
 * What must hold before a strategy may be deployed, checked in the form before any confirmation appears
 * (the server checks the same in services/deployments/deployments.ts createDeployment; this is the order a
 * trader meets them in, so the real-money confirmation is the last step, never a dead end).
 */

/** The parts of a strategy and an account the checks read. */
export interface DeployStrategy {
  status: string;
  /** 'signal': decides nothing on bars, so nothing to backtest (docs/signals.md) */
  type?: string;
  exchange: string;
}
export interface DeployAccount {
  kind: 'paper' | 'exchange';
  exchange: string;
}

/** One unmet precondition: what is missing and where the trader fixes it. */
export interface Precondition {
  key: 'backtest' | 'paper-first' | 'account' | 'active';
  message: string;
  /** An in-page anchor or a page that fixes it. */
  fix: { href: string; label: string } | null;
}

const PAPER_EXCHANGE = 'paper';

/**
 * Live trading is possible at all only on a real exchange that accounts can be opened on
 * (`liveExchanges`: accounts.exchanges without paper); a simulated or paper market never trades live,
 * so the form does not offer the Live mode there.
 */
export function canTradeLive(strategy: DeployStrategy, liveExchanges: readonly string[]): boolean {
  return strategy.exchange !== PAPER_EXCHANGE && liveExchanges.includes(strategy.exchange);
}

/** The unmet preconditions of a deploy in `mode`, in the order to fix them; empty when it may go ahead. */
export function unmetPreconditions(mode: 'paper' | 'live', strategy: DeployStrategy, accounts: readonly DeployAccount[]): Precondition[] {
  const unmet: Precondition[] = [];
  if (strategy.status === 'paper' || strategy.status === 'live' || strategy.status === 'paused')
    unmet.push({ key: 'active', message: `The strategy already has a ${strategy.status} deployment: stop it first.`, fix: null });
  if (strategy.status === 'draft' && strategy.type !== 'signal')
    unmet.push({ key: 'backtest', message: 'Backtest the strategy first.', fix: { href: '#backtest', label: 'Run a backtest' } });
  else if (mode === 'live' && strategy.status !== 'stopped' && unmet.length === 0)
    unmet.push({
      key: 'paper-first',
      message: 'Paper trade the strategy before going live: deploy it in paper mode, then stop it.',
      fix: null,
    });
  const hasAccount =
    mode === 'paper' ? accounts.some((a) => a.kind === 'paper') : accounts.some((a) => a.kind === 'exchange' && a.exchange === strategy.exchange);
  if (!hasAccount)
    unmet.push({
      key: 'account',
      message: mode === 'paper' ? 'Add a paper account.' : `Add an account on ${strategy.exchange} with API credentials.`,
      fix: { href: '/accounts', label: 'Accounts' },
    });
  return unmet;
}
