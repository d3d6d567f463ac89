/**
 * A script deployment's printed lines (docs/strategies.md, "Logs"): after each tick, what its decisions printed is
 * appended to the deployment's `script_log`, which keeps the latest DEPLOYMENT_LOG_LINES lines and counts the older.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import type { DeploymentRuntime } from './runtime';

/** Lines a deployment keeps: the latest ones (a running strategy's recent output is what its author looks at). */
export const DEPLOYMENT_LOG_LINES = 200;

/**
 * Appends what the runtime's script printed since the last call, under the worker's lease epoch (a worker that lost
 * the deployment writes nothing). Called after a tick's commit, and before a failed decision fails the deployment
 * (that transition raises the epoch), so the lines that led to the failure are kept.
 */
export async function storeScriptLog(db: Db, rt: DeploymentRuntime): Promise<void> {
  const printed = rt.takeScriptLog?.();
  if (!printed || (printed.lines.length === 0 && printed.dropped === 0)) return;
  const added = JSON.stringify(printed.lines);
  await db.execute(sql`
    update deployments d set script_log = jsonb_build_object(
      'lines', coalesce((select jsonb_agg(e.line order by e.n) from (
        select line, n from jsonb_array_elements(coalesce(d.script_log->'lines', '[]'::jsonb) || ${added}::jsonb) with ordinality as a(line, n)
        order by n desc limit ${DEPLOYMENT_LOG_LINES}) e), '[]'::jsonb),
      'dropped', coalesce((d.script_log->>'dropped')::bigint, 0) + ${printed.dropped}
        + greatest(0, jsonb_array_length(coalesce(d.script_log->'lines', '[]'::jsonb) || ${added}::jsonb) - ${DEPLOYMENT_LOG_LINES}))
    where d.id = ${rt.id} and d.lease_epoch = ${rt.epoch}`);
}
