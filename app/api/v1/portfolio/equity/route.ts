import { ZEquityCurveRequestSchema } from '@/server/api/schemas/portfolio';
import { json, parseInput, searchParams, withUser } from '@/server/api/rest';
import { equityCurve } from '@/server/services/portfolio';

// GET /api/v1/portfolio/equity?accountId=&from=&to=&currency= – the equity curve from snapshots, {points: [{time, equity}]}
export const GET = withUser(async ({ db, req, user }) => json(await equityCurve(db, user.id, parseInput(ZEquityCurveRequestSchema, searchParams(req)))));
