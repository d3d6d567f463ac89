import { request, type FullConfig } from '@playwright/test';

export const E2E_ADMIN = { username: 'e2e-admin', password: 'e2e admin password 123' };

/**
 * The e2e database is fresh, so the first account registered becomes its admin: register the run's
 * admin before any test, and fail the run if that rule does not hold.
 */
export default async function globalSetup(config: FullConfig): Promise<void> {
  const baseURL = config.projects[0]?.use.baseURL;
  const api = await request.newContext({ baseURL });
  const registered = await api.post('/api/v1/auth/register', { data: E2E_ADMIN });
  if (registered.status() !== 201) throw new Error(`registering the e2e admin failed: ${registered.status()} ${await registered.text()}`);
  const token = await api.post('/api/v1/auth/token', { data: E2E_ADMIN });
  const { accessToken } = (await token.json()) as { accessToken: string };
  const me = (await (await api.get('/api/v1/me', { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { role: string };
  if (me.role !== 'admin') throw new Error(`the first account on a fresh database must be an admin, got "${me.role}"`);
  await api.dispose();
}
