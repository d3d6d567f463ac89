import { handleSignal } from '@/server/api/signals-rest';

// POST /api/v1/signals/{deploymentId}/{secret} – the same, secret in the path (TradingView alerts cannot set headers)
export async function POST(req: Request, route: { params: Promise<{ deploymentId: string; secret: string }> }) {
  const { deploymentId, secret } = await route.params;
  return handleSignal(req, deploymentId, secret);
}
