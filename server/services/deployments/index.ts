export * from './deployments';
export { closeDeploymentPosition, loadRuntime, tickDeployment, type DeploymentRuntime, type TickResult } from './step';
export * from './leases';
