import { getDatabase } from '@/db/client';
import { json } from '@/server/api/rest';
import { checkHealth } from '@/server/services/system/health';

export const dynamic = 'force-dynamic';

// GET /api/health – the database answers, and when a worker last beat; 503 naming what is down
export async function GET(): Promise<Response> {
  let report;
  try {
    report = await checkHealth(getDatabase().db);
  } catch {
    report = { status: 'degraded', db: 'down', worker: { lastHeartbeat: null }, error: 'database unreachable' };
  }
  return json(report, report.db === 'ok' ? 200 : 503);
}
