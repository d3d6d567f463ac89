// npm run db:seed – seed the demo user into DATABASE_URL (only when it has no users yet)
import { randomBytes } from 'node:crypto';
import { createDatabase } from '@/db/client';
import { cliEnvOrExit } from '@/server/env';
import { DEMO_USERNAME, seedDemo } from '@/server/services/system/seed';
import { demoOfflineCandles } from './demo-candles';

const env = cliEnvOrExit('db:seed', ['DATABASE_URL', 'DEMO_PASSWORD']);
const url = env.DATABASE_URL;
const password = env.DEMO_PASSWORD ?? randomBytes(9).toString('base64url');
const database = createDatabase(url, { max: 1 });
try {
  const { created, paperAccount } = await seedDemo(database.db, password, { offlineCandles: demoOfflineCandles });
  console.log(created ? `seeded demo user: ${DEMO_USERNAME} / ${password}` : 'the database already has users; nothing seeded');
  if (paperAccount) console.log(`seeded the demo's paper account "${paperAccount}"`);
} finally {
  await database.close();
}
