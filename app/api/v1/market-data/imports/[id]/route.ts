import { json, withUser } from '@/server/api/rest';
import { getImport } from '@/server/services/market-data/imports';

// GET /api/v1/market-data/imports/{id} – status and progress of one of your imports
export const GET = withUser<{ id: string }>(async ({ db, params, user }) => json(await getImport(db, params.id, user.id)));
