export * from './deployments';
export * from './equity';
export { closeDeploymentPosition, loadRuntime, tickDeployment, type DeploymentRuntime, type TickResult } from './step';
export * from './leases';
export * from './views';
