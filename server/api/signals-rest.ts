import type { Db } from '@/db/client';
import { getEnv } from '@/server/env';
import { receiveSignal, type SignalAnswer } from '@/server/services/signals';
import { readBodyText } from './body-limit';
import { json } from './rest';

/** The header a signal's secret may come in (the other way: after the webhook's path, for TradingView). */
export const SIGNAL_SECRET_HEADER = 'x-cryptobot-signal-secret';

/** Logged for a failed signal request instead of its path, which may carry the secret. */
export const SIGNAL_LOG_ROUTE = '/api/v1/signals/{deploymentId}';

/**
 * The signal webhook's handler (docs/signals.md), for both of its routes: the body's text (TradingView posts JSON as
 * text/plain) to the signals service, whose answer is the response; 401 and 429 are thrown as AppErrors.
 */
export async function handleSignal(db: Db, req: Request, deploymentId: string, secret: string | null): Promise<SignalAnswer> {
  const env = getEnv();
  return receiveSignal(db, deploymentId, secret, await readBodyText(req, 'json'), {
    throttle: { limit: env.CRYPTOBOT_SIGNALS_PER_MINUTE, windowMs: 60_000 },
    replayWindowMs: env.CRYPTOBOT_SIGNAL_REPLAY_WINDOW_SECONDS * 1000,
  });
}

/** A refused (409) or invalid (400/422) signal's answer: the error body the signals service recorded with it. */
export function signalRefusal(answer: SignalAnswer): Response {
  return json(answer.body, answer.status);
}
