import { telegramCommandsPollMs } from '@/server/env';
import { pollTelegramCommands, type TelegramCommandDeps } from '@/server/services/notifications/telegram-commands';
import { runEveryInterval } from './interval-loop';
import type { WorkerLoop } from './loops';

/**
 * Polls every enabled Telegram channel's bot for commands from its linked chat (/status, /pause, /killswitch then
 * /confirm: server/services/notifications/telegram-commands.ts) every NOTIFY_TELEGRAM_COMMANDS_POLL_SECONDS (0: off).
 * Several workers may run it: each channel's poll is leased to one at a time, and its stored offset says which
 * updates are done.
 */
export function createTelegramCommandLoop(options: { intervalMs?: number; deps?: TelegramCommandDeps } = {}): WorkerLoop {
  return {
    name: 'telegram-commands',
    async start({ database, workerId, logger, signal }) {
      const intervalMs = options.intervalMs ?? telegramCommandsPollMs();
      if (intervalMs <= 0) return async () => {};
      return runEveryInterval(
        { logger, signal },
        intervalMs,
        async () => {
          const result = await pollTelegramCommands(database.db, workerId, options.deps);
          if (result.commands > 0) logger.info(result, 'telegram commands handled');
        },
        'polling telegram commands failed; retrying next interval',
      );
    },
  };
}
