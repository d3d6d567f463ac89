import { reply, withUser } from '@/server/api/rest';
import { ZImportResponseSchema } from '@/server/api/schemas/market-data';
import { cancelImport, getImport } from '@/server/services/market-data/imports';

// GET /api/v1/market-data/imports/{id} – status and progress of an import (yours or one you joined: candles are shared)
export const GET = withUser<{ id: string }>(async ({ db, params }) => reply(ZImportResponseSchema, await getImport(db, params.id)));

// DELETE /api/v1/market-data/imports/{id} – cancel a queued or running import (409 once it finished); what it stored stays
export const DELETE = withUser<{ id: string }>(async ({ db, params, user }) => reply(ZImportResponseSchema, await cancelImport(db, params.id, user.id)));
