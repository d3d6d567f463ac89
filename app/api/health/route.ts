import { json, withPublic } from '@/server/api/rest';
import { checkHealth } from '@/server/services/system/health';

export const dynamic = 'force-dynamic';

// GET /api/health – the database answers, and when a worker last beat; 503 naming what is down
export const GET = withPublic(async ({ db }) => {
  let report;
  try {
    report = await checkHealth(db);
  } catch {
    report = { status: 'degraded', db: 'down', worker: { lastHeartbeat: null }, error: 'database unreachable' };
  }
  return json(report, report.db === 'ok' ? 200 : 503);
});
