/**
 * The deployment lifecycle: one exhaustive transition table (state × event → state) as data, and a pure
 * `nextDeploymentState` that every writer of a deployment's state goes through (the deployments service's
 * `transitionDeployment`: users, the kill switch, the worker). A pair the table does not list is refused.
 *
 * docs/trading.md ("States") shows the same table; a test keeps the two identical.
 */
import { DomainError } from '../money/errors';
import { renderMarkdownTable } from '../markdown-table';

/** The same list as db/schema/deployments.ts DEPLOYMENT_STATES (a test keeps them equal). */
export const DEPLOYMENT_STATES = ['running', 'paused', 'stopped', 'completed', 'failed'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export const DEPLOYMENT_EVENT_TYPES = [
  'pause', // the user paused it
  'resume', // the user resumed it
  'stop', // the user stopped it (its orders are canceled, its position sold if asked)
  'kill_switch', // the kill switch was engaged for its user or for everyone
  'risk_halt', // the runner paused it: a circuit breaker tripped, or it found the kill switch engaged
  'replay_end', // the runner processed the replay's last stored candle
  'start_failed', // the runner could not start it (e.g. its parameters are no longer valid)
  'strategy_failed', // its strategy's decision failed (a script threw, or went over its time or memory limit)
] as const;
export type DeploymentEventType = (typeof DEPLOYMENT_EVENT_TYPES)[number];

type TransitionTable = {
  readonly [S in DeploymentState]: { readonly [E in DeploymentEventType]?: DeploymentState };
};

/**
 * state × event → state. A pair that is absent is invalid.
 *
 * Decisions:
 * - Three ways to pause (the user, the kill switch, the runner's risk checks) lead to the same `paused`: what
 *   differs is the reason the row carries, and only the user's resume leaves it (never automatically).
 * - Only a running deployment is halted, completed or failed: a paused one decides nothing, so no runner
 *   holds it, and the kill switch has nothing to pause.
 * - stopped, completed and failed are final: no event leaves them (a new deployment is the way back).
 * - Pausing a paused deployment or resuming a running one is not in the table: the service answers such a
 *   request with the deployment as it is, without a write.
 */
export const DEPLOYMENT_TRANSITIONS: TransitionTable = {
  running: {
    pause: 'paused',
    stop: 'stopped',
    kill_switch: 'paused',
    risk_halt: 'paused',
    replay_end: 'completed',
    start_failed: 'failed',
    strategy_failed: 'failed',
  },
  paused: { resume: 'running', stop: 'stopped' },
  stopped: {},
  completed: {},
  failed: {},
};

/** Final states: no event leaves them. */
export function isFinalDeploymentState(state: DeploymentState): boolean {
  return DEPLOYMENT_EVENT_TYPES.every((event) => DEPLOYMENT_TRANSITIONS[state][event] === undefined);
}

/** The state after `event`, or null when the table has no such transition. */
export function nextDeploymentState(state: DeploymentState, event: DeploymentEventType): DeploymentState | null {
  return DEPLOYMENT_TRANSITIONS[state][event] ?? null;
}

/** The states `event` leads from to `to` (the guard of a conditional update). */
export function deploymentStatesFrom(event: DeploymentEventType, to: DeploymentState): DeploymentState[] {
  return DEPLOYMENT_STATES.filter((state) => DEPLOYMENT_TRANSITIONS[state][event] === to);
}

export class InvalidDeploymentTransitionError extends DomainError {
  override readonly name = 'InvalidDeploymentTransitionError';
  readonly from: DeploymentState;
  readonly event: DeploymentEventType;

  constructor(from: DeploymentState, event: DeploymentEventType) {
    super('deployment.state', `cannot apply "${event}" to a deployment that is ${from}`, 'invalid_transition');
    this.from = from;
    this.event = event;
  }
}

/** The state after `event`; throws InvalidDeploymentTransitionError for a pair outside the table. */
export function applyDeploymentEvent(state: DeploymentState, event: DeploymentEventType): DeploymentState {
  const next = nextDeploymentState(state, event);
  if (next === null) throw new InvalidDeploymentTransitionError(state, event);
  return next;
}

/** The transition table as a Markdown table (docs/trading.md embeds exactly this). */
export function renderDeploymentTransitionTable(): string {
  const rows = DEPLOYMENT_STATES.map((state) => [`**${state}**`, ...DEPLOYMENT_EVENT_TYPES.map((event) => DEPLOYMENT_TRANSITIONS[state][event] ?? '—')]);
  return renderMarkdownTable(['state \\ event', ...DEPLOYMENT_EVENT_TYPES.map((e) => `\`${e}\``)], rows);
}
