/**
 * A strategy's decision could not be made (a script threw, or went over its time or memory limit): the deployment
 * deciding with it fails, with this message for the user (services/deployments/tick.ts). Never a built-in's bug
 * report: only the sandbox's proxy (services/scripts/live.ts) throws it.
 */
export class StrategyDecisionError extends Error {
  override readonly name = 'StrategyDecisionError';
}
