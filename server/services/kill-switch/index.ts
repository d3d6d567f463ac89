export * from './kill-switch';
export * from './views';
export { assertTradingAllowed, killSwitchError } from './latch';
