import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface LocalSecrets {
  NEXTAUTH_SECRET: string;
  CRYPTOBOT_MASTER_KEY: string;
  DEMO_PASSWORD: string;
}

/**
 * For the local embedded default only: secrets generated once into `.data/secrets.json` (mode 600)
 * and reused on every start. Production deployments must set them in the environment.
 */
export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  let existing: Partial<LocalSecrets> = {};
  if (fs.existsSync(file)) existing = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
  const secrets: LocalSecrets = {
    NEXTAUTH_SECRET: existing.NEXTAUTH_SECRET ?? randomBytes(48).toString('base64'),
    CRYPTOBOT_MASTER_KEY: existing.CRYPTOBOT_MASTER_KEY ?? randomBytes(32).toString('base64'),
    DEMO_PASSWORD: existing.DEMO_PASSWORD ?? randomBytes(9).toString('base64url'),
  };
  if (JSON.stringify(secrets) !== JSON.stringify(existing)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  }
  return secrets;
}
