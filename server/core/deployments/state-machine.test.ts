import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyDeploymentEvent,
  DEPLOYMENT_EVENT_TYPES,
  DEPLOYMENT_STATES,
  DEPLOYMENT_TRANSITIONS,
  deploymentStatesFrom,
  InvalidDeploymentTransitionError,
  isFinalDeploymentState,
  nextDeploymentState,
  renderDeploymentTransitionTable,
  type DeploymentState,
} from './state-machine';

const PAIRS = DEPLOYMENT_STATES.flatMap((state) => DEPLOYMENT_EVENT_TYPES.map((event) => [state, event] as const));

describe('the deployment transition table', () => {
  it('has one row per state and marks exactly stopped, completed and failed as final', () => {
    expect(Object.keys(DEPLOYMENT_TRANSITIONS).sort(), 'one row per state').toEqual([...DEPLOYMENT_STATES].sort());
    expect(DEPLOYMENT_STATES.filter(isFinalDeploymentState), 'the final states').toEqual(['stopped', 'completed', 'failed']);
  });

  it.each(PAIRS)('%s × %s follows the table', (state, event) => {
    const target = DEPLOYMENT_TRANSITIONS[state][event];
    if (target === undefined) {
      let error: unknown;
      try {
        applyDeploymentEvent(state, event);
      } catch (caught) {
        error = caught;
      }
      expect(error, `${event} is not listed for ${state}: it must throw`).toBeInstanceOf(InvalidDeploymentTransitionError);
      expect((error as InvalidDeploymentTransitionError).from, 'the error says where from').toBe(state);
      expect(nextDeploymentState(state, event), 'and the lookup says no').toBeNull();
      return;
    }
    expect(applyDeploymentEvent(state, event), 'the listed target').toBe(target);
    expect(deploymentStatesFrom(event, target), 'the update guard includes the state it leaves').toContain(state);
  });

  it('only lets the user resume, and only from paused; every pause lands in paused', () => {
    const intoRunning = PAIRS.filter(([state, event]) => DEPLOYMENT_TRANSITIONS[state][event] === 'running');
    expect(intoRunning, 'nothing resumes a deployment behind the user').toEqual([['paused', 'resume']]);
    for (const event of ['pause', 'kill_switch', 'risk_halt'] as const) expect(nextDeploymentState('running', event), `${event} pauses`).toBe('paused');
  });

  it('reaches every state from running, and a final state from every state', () => {
    const reachable = (from: DeploymentState): Set<DeploymentState> => {
      const seen = new Set<DeploymentState>([from]);
      for (let grew = true; grew;) {
        grew = false;
        for (const state of [...seen]) {
          for (const target of Object.values(DEPLOYMENT_TRANSITIONS[state])) {
            if (target && !seen.has(target)) {
              seen.add(target);
              grew = true;
            }
          }
        }
      }
      return seen;
    };
    expect([...reachable('running')].sort(), 'no state is unreachable').toEqual([...DEPLOYMENT_STATES].sort());
    for (const state of DEPLOYMENT_STATES) {
      expect([...reachable(state)].some(isFinalDeploymentState), `${state} can still end`).toBe(true);
    }
  });

  it('is documented, verbatim, in docs/trading.md', () => {
    const doc = readFileSync(new URL('../../../docs/trading.md', import.meta.url), 'utf8');
    expect(doc, 'docs/trading.md must embed renderDeploymentTransitionTable() output').toContain(renderDeploymentTransitionTable());
  });
});

describe('random event sequences', () => {
  it('move only along the table, never leave a final state, and refuse everything else without moving', () => {
    const reached = new Set<DeploymentState>();
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...DEPLOYMENT_EVENT_TYPES), { maxLength: 30 }), (events) => {
        let state: DeploymentState = 'running';
        reached.add(state);
        for (const event of events) {
          const before = state;
          try {
            state = applyDeploymentEvent(state, event);
          } catch (error) {
            expect(error, 'only the table refuses').toBeInstanceOf(InvalidDeploymentTransitionError);
            expect(DEPLOYMENT_TRANSITIONS[before][event], 'a refused pair is one the table leaves out').toBeUndefined();
            continue;
          }
          expect(isFinalDeploymentState(before), 'a final state never moves').toBe(false);
          expect(state, "the move is the table's").toBe(DEPLOYMENT_TRANSITIONS[before][event]);
          reached.add(state);
        }
      }),
      { numRuns: 500, seed: 20 },
    );
    expect([...reached].sort(), 'the random sequences exercised every state').toEqual([...DEPLOYMENT_STATES].sort());
  });
});
