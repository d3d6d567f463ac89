import { reply, withPublic } from '@/server/api/rest';
import { ZSignalAnswerSchema, type SignalAnswerBody } from '@/server/api/schemas/signals';
import { handleSignal, signalRefusal, SIGNAL_LOG_ROUTE, SIGNAL_SECRET_HEADER } from '@/server/api/signals-rest';

// POST /api/v1/signals/{deploymentId} – a signal for a signal deployment; secret in the X-Cryptobot-Signal-Secret header
export const POST = withPublic<{ deploymentId: string }>(
  async ({ db, req, params }) => {
    const answer = await handleSignal(db, req, params.deploymentId, req.headers.get(SIGNAL_SECRET_HEADER));
    // Executed (a new order, or a repeated id's first outcome): the declared answer; refused or invalid: its error body.
    return answer.executed ? reply(ZSignalAnswerSchema, answer.body as SignalAnswerBody, answer.status) : signalRefusal(answer);
  },
  { logRoute: SIGNAL_LOG_ROUTE },
);
