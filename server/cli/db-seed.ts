// npm run db:seed – seed the demo user into DATABASE_URL (only when it has no users yet)
import { randomBytes } from 'node:crypto';
import { createDatabase } from '@/db/client';
import { DEMO_USERNAME, seedDemo } from '@/server/services/system/seed';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('db:seed: DATABASE_URL is required but not set');
  process.exit(1);
}
const password = process.env.DEMO_PASSWORD ?? randomBytes(9).toString('base64url');
const database = createDatabase(url, { max: 1 });
try {
  const { created } = await seedDemo(database.db, password);
  console.log(created ? `seeded demo user: ${DEMO_USERNAME} / ${password}` : 'the database already has users; nothing seeded');
} finally {
  await database.close();
}
