export * from './deployments';
export * from './equity';
export { closeDeploymentPosition } from './close-out';
export { fenceAll, finishAll, type PaperBatchMember, type TickFence, type TickFinish } from './paper-batch';
export { loadRuntime, type DeploymentRuntime } from './runtime';
export { tickDeployment, type TickResult } from './tick';
export * from './leases';
export { transitionDeployment, type DeploymentTransition } from './transitions';
export * from './views';
