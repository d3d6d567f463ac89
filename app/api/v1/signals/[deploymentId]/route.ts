import { withPublic } from '@/server/api/rest';
import { handleSignal, SIGNAL_LOG_ROUTE, SIGNAL_SECRET_HEADER } from '@/server/api/signals-rest';

// POST /api/v1/signals/{deploymentId} – a signal for a signal deployment; secret in the X-Cryptobot-Signal-Secret header
export const POST = withPublic<{ deploymentId: string }>(
  async ({ db, req, params }) => handleSignal(db, req, params.deploymentId, req.headers.get(SIGNAL_SECRET_HEADER)),
  { logRoute: SIGNAL_LOG_ROUTE },
);
