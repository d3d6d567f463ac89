import { masterKeyText } from '@/server/env';
import { parseMasterKey, type MasterKey } from './credentials';

let cached: { source: string; keys: MasterKey[] } | undefined;

/**
 * The master key(s) of this process: CRYPTOBOT_MASTER_KEY, read on its own. Decryption needs nothing
 * else, so a worker started with only DATABASE_URL and the master key (README, Deployment) decrypts
 * exchange credentials; the web app's whole schema (server/env.ts) is not consulted here.
 */
export function masterKeysFromEnv(): MasterKey[] {
  const source = masterKeyText();
  if (cached?.source !== source) cached = { source, keys: [parseMasterKey(source)] };
  return cached.keys;
}
