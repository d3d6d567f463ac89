/**
 * A sleep a loop can cut short: `sleep(ms)` resolves after ms, or at once when `wake()` is called
 * (a NOTIFY arrived, the worker is stopping). One pending sleep at a time, as a loop has.
 */
export function wakeableSleep(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wake: (() => void) | null = null;
  return {
    sleep(ms) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = null;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      });
    },
    wake() {
      wake?.();
    },
  };
}
