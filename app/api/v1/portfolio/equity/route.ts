import { ZEquityCurveRequestSchema, ZEquityCurveResponseSchema } from '@/server/api/schemas/portfolio';
import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { equityCurve } from '@/server/services/portfolio';

// GET /api/v1/portfolio/equity?accountId=&from=&to=&currency= – the equity curve from snapshots, {points: [{time, equity}]}
export const GET = withUser(async ({ db, req, user }) =>
  reply(ZEquityCurveResponseSchema, await equityCurve(db, user.id, parseInput(ZEquityCurveRequestSchema, searchParams(req)))),
);
