import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZCoverageQuerySchema, ZCoverageResponseSchema } from '@/server/api/schemas/market-data';
import { readCoverage } from '@/server/services/market-data/coverage';

// GET /api/v1/market-data/coverage – per stored series: first, last, count, missing and the gaps
export const GET = withUser(async ({ db, req }) => reply(ZCoverageResponseSchema, { series: await readCoverage(db, parseInput(ZCoverageQuerySchema, searchParams(req))) }));
