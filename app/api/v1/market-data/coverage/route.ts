import { json, parseInput, searchParams, withUser } from '@/server/api/rest';
import { ZCoverageQuerySchema } from '@/server/api/schemas/market-data';
import { readCoverage } from '@/server/services/market-data/coverage';

// GET /api/v1/market-data/coverage – per stored series: first, last, count, missing and the gaps
export const GET = withUser(async ({ db, req }) => json({ series: await readCoverage(db, parseInput(ZCoverageQuerySchema, searchParams(req))) }));
