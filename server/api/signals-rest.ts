import { getDatabase } from '@/db/client';
import { getEnv } from '@/server/env';
import { receiveSignal } from '@/server/services/signals';
import { assertDeclaredBodySize, readBodyText } from './body-limit';
import { errorResponse, json } from './rest';

/** The header a signal's secret may come in (the other way: after the webhook's path, for TradingView). */
export const SIGNAL_SECRET_HEADER = 'x-cryptobot-signal-secret';

/**
 * The signal webhook's handler (docs/signals.md), for both of its routes. Not withPublic: the secret may be part
 * of the path, and withPublic logs the path of a failed request; this logs the route's pattern only.
 */
export async function handleSignal(req: Request, deploymentId: string, secret: string | null): Promise<Response> {
  try {
    assertDeclaredBodySize(req, 'json');
    const env = getEnv();
    const answer = await receiveSignal(getDatabase().db, deploymentId, secret, await readBodyText(req, 'json'), {
      throttle: { limit: env.CRYPTOBOT_SIGNALS_PER_MINUTE, windowMs: 60_000 },
      replayWindowMs: env.CRYPTOBOT_SIGNAL_REPLAY_WINDOW_SECONDS * 1000,
    });
    return json(answer.body, answer.status);
  } catch (error) {
    return errorResponse(error, { method: req.method, route: '/api/v1/signals/{deploymentId}', deploymentId: deploymentId.slice(0, 64) });
  }
}
