export * from './kill-switch';
export { assertTradingAllowed, killSwitchError, type EngagedLatch, type KillSwitchScope } from './latch';
