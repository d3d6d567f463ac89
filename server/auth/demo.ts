import { getDatabase } from '@/db/client';
import { demoUserExists } from '@/server/services/system/seed';

/** Whether this server has the demo login, for the login page (which never reaches the database itself). */
export function demoLoginExists(): Promise<boolean> {
  return demoUserExists(getDatabase().db);
}
