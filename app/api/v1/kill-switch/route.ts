import { json, readJson, withUser } from '@/server/api/rest';
import { ZKillSwitchRequestSchema } from '@/server/api/schemas/deployments';
import { activateKillSwitch } from '@/server/services/deployments';

// POST /api/v1/kill-switch {reason} – pauses every deployment of the user and cancels their open orders
export const POST = withUser(async ({ db, req, user }) => json(await activateKillSwitch(db, user.id, (await readJson(req, ZKillSwitchRequestSchema)).reason)));
