import { reply, withPublic } from '@/server/api/rest';
import { ZSignalAnswerSchema, type SignalAnswerBody } from '@/server/api/schemas/signals';
import { handleSignal, signalRefusal, SIGNAL_LOG_ROUTE } from '@/server/api/signals-rest';

// POST /api/v1/signals/{deploymentId}/{secret} – the same, secret in the path (TradingView alerts cannot set headers)
export const POST = withPublic<{ deploymentId: string; secret: string }>(
  async ({ db, req, params }) => {
    const answer = await handleSignal(db, req, params.deploymentId, params.secret);
    // Executed (a new order, or a repeated id's first outcome): the declared answer; refused or invalid: its error body.
    return answer.executed ? reply(ZSignalAnswerSchema, answer.body as SignalAnswerBody, answer.status) : signalRefusal(answer);
  },
  { logRoute: `${SIGNAL_LOG_ROUTE}/{secret}` },
);
