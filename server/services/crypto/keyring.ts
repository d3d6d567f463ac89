import { getEnv } from '@/server/env';
import { parseMasterKey, type MasterKey } from './credentials';

let cached: { source: string; keys: MasterKey[] } | undefined;

/** The master key(s) of this process: CRYPTOBOT_MASTER_KEY (validated by server/env.ts). */
export function masterKeysFromEnv(): MasterKey[] {
  const source = getEnv().CRYPTOBOT_MASTER_KEY;
  if (cached?.source !== source) cached = { source, keys: [parseMasterKey(source)] };
  return cached.keys;
}
