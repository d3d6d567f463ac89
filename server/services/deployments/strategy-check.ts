/**
 * Whether a strategy's type and parameters can still run, checked when it is deployed (the web app: nothing is run
 * here). A script version is read with the user's scope and its hash pinned in the deployment: editing the script
 * makes a new version, which never changes a running deployment (the worker loads the pinned one: runtime.ts).
 *
 * Look-ahead: a script deployed cannot see a bar after the one it decides on, by construction (the worker hands its
 * isolate the bars up to the decided one only: core/scripts/live.ts), as in its backtests (core/scripts/runtime.ts);
 * docs/strategies.md says so.
 */
import type { DbOrTx } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { isScriptType } from '@/server/core/scripts/script-type';
import { parseParams } from '@/server/core/strategies/params';
import { createStrategy } from '@/server/core/strategies/registry';
import { runnableScript } from '@/server/services/scripts/scripts';

/** What the deployment records of its strategy beyond the strategy's row: a script version's hash. */
interface DeployableStrategy {
  scriptHash?: string;
}

function noLongerValid(error: unknown): never {
  throw new AppError('CONFLICT', `the strategy's parameters are no longer valid: ${(error as Error).message}`);
}

export async function checkDeployableStrategy(
  db: DbOrTx,
  userId: string,
  strategy: { type: string; params: Record<string, unknown>; symbols?: readonly string[] | null },
): Promise<DeployableStrategy> {
  if (!isScriptType(strategy.type)) {
    try {
      createStrategy(strategy.type, strategy.params);
    } catch (error) {
      noLongerValid(error);
    }
    return {};
  }
  if (strategy.symbols)
    throw AppError.validation([{ field: 'strategyId', message: 'a strategy written as a script trades one symbol (pair lists run built-in strategies)' }]);
  const script = await runnableScript(db, userId, strategy.type).catch((error: unknown) => {
    const reason = error instanceof AppError ? (error.details?.fields?.[0]?.message ?? error.message) : String(error);
    throw new AppError('CONFLICT', `the strategy's script cannot be deployed: ${reason}`);
  });
  try {
    parseParams(script.definition, strategy.params);
  } catch (error) {
    noLongerValid(error);
  }
  return { scriptHash: script.hash };
}
