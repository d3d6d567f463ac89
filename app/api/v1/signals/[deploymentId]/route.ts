import { handleSignal, SIGNAL_SECRET_HEADER } from '@/server/api/signals-rest';

// POST /api/v1/signals/{deploymentId} – a signal for a signal deployment; secret in the X-Cryptobot-Signal-Secret header
export async function POST(req: Request, route: { params: Promise<{ deploymentId: string }> }) {
  return handleSignal(req, (await route.params).deploymentId, req.headers.get(SIGNAL_SECRET_HEADER));
}
