import { withPublic } from '@/server/api/rest';
import { handleSignal, SIGNAL_LOG_ROUTE } from '@/server/api/signals-rest';

// POST /api/v1/signals/{deploymentId}/{secret} – the same, secret in the path (TradingView alerts cannot set headers)
export const POST = withPublic<{ deploymentId: string; secret: string }>(
  async ({ db, req, params }) => handleSignal(db, req, params.deploymentId, params.secret),
  { logRoute: `${SIGNAL_LOG_ROUTE}/{secret}` },
);
