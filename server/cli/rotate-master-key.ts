/**
 * Master-key rotation for exchange credentials:
 *   CRYPTOBOT_MASTER_KEY=<old> CRYPTOBOT_MASTER_KEY_NEW=<new> DATABASE_URL=... npm run keys:rotate-master
 * Re-encrypts every account's credentials, and the pending secrets of API-key successors the worker
 * issued, under the new key in one transaction, then tells you to
 * switch CRYPTOBOT_MASTER_KEY to the new key everywhere (web + workers). See docs/accounts.md.
 */
import { createDatabase } from '@/db/client';
import { rotateMasterKey } from '@/server/services/accounts/rotate';
import { ConfigError, parseCliEnv } from '@/server/env';
import { parseMasterKey } from '@/server/services/crypto/credentials';

async function main(): Promise<number> {
  let url: string;
  let oldKey;
  let newKey;
  try {
    const env = parseCliEnv(['DATABASE_URL', 'CRYPTOBOT_MASTER_KEY', 'CRYPTOBOT_MASTER_KEY_NEW']);
    url = env.DATABASE_URL;
    oldKey = parseMasterKey(env.CRYPTOBOT_MASTER_KEY, 'CRYPTOBOT_MASTER_KEY');
    newKey = parseMasterKey(env.CRYPTOBOT_MASTER_KEY_NEW, 'CRYPTOBOT_MASTER_KEY_NEW');
  } catch (error) {
    for (const problem of error instanceof ConfigError ? error.problems : [(error as Error).message]) console.error(problem);
    return 2;
  }
  const database = createDatabase(url, { max: 1, applicationName: 'cryptobot-rotate-master-key' });
  try {
    const result = await rotateMasterKey(database.db, [oldKey], newKey);
    console.log(`re-encrypted ${result.rotated} account(s) from ${result.fromVersions.join(', ') || '(none)'} to ${result.toVersion}`);
    console.log(`re-sealed ${result.resealedKeySecrets} pending API-key successor secret(s)`);
    console.log(`re-encrypted ${result.notificationChannels} notification channel(s)`);
    console.log('now set CRYPTOBOT_MASTER_KEY to the new key for the web app and every worker, and restart them');
    return 0;
  } catch (error) {
    console.error(`rotation failed, nothing was changed: ${(error as Error).message}`);
    return 1;
  } finally {
    await database.close();
  }
}

main().then((code) => process.exit(code));
