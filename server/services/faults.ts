import { faultSettings } from '@/server/env';

/**
 * Fault injection for the reliability tests, off unless the environment turns it on:
 * CRYPTOBOT_CRASH_POINTS="order.after_write,order.after_fill" and CRYPTOBOT_CRASH_PROBABILITY=0.05 make the
 * process SIGKILL itself at those points with that probability, as `kill -9` from outside would, but at
 * the moments that matter (between writing an order and sending it, between a fill and its booking).
 */
const { points, probability } = faultSettings();

export function crashPoint(name: string): void {
  if (points.size === 0 || !points.has(name)) return;
  if (Math.random() < probability) process.kill(process.pid, 'SIGKILL');
}
