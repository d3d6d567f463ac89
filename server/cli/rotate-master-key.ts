/**
 * Master-key rotation for exchange credentials:
 *   CRYPTOBOT_MASTER_KEY=<old> CRYPTOBOT_MASTER_KEY_NEW=<new> DATABASE_URL=... npm run keys:rotate-master
 * Re-encrypts every account's credentials, and the pending secrets of API-key successors the worker
 * issued, under the new key in one transaction, then tells you to
 * switch CRYPTOBOT_MASTER_KEY to the new key everywhere (web + workers). See docs/accounts.md.
 */
import { createDatabase } from '@/db/client';
import { rotateMasterKey } from '@/server/services/accounts/rotate';
import { parseMasterKey } from '@/server/services/crypto/credentials';

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is required');
    return 2;
  }
  let oldKey;
  let newKey;
  try {
    oldKey = parseMasterKey(process.env.CRYPTOBOT_MASTER_KEY, 'CRYPTOBOT_MASTER_KEY');
    newKey = parseMasterKey(process.env.CRYPTOBOT_MASTER_KEY_NEW, 'CRYPTOBOT_MASTER_KEY_NEW');
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const database = createDatabase(url, { max: 1, applicationName: 'cryptobot-rotate-master-key' });
  try {
    const result = await rotateMasterKey(database.db, [oldKey], newKey);
    console.log(`re-encrypted ${result.rotated} account(s) from ${result.fromVersions.join(', ') || '(none)'} to ${result.toVersion}`);
    console.log(`re-sealed ${result.resealedKeySecrets} pending API-key successor secret(s)`);
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
