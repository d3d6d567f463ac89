import { reply, withUser } from '@/server/api/rest';
import { ZStrategyTypeListResponseSchema } from '@/server/api/schemas/strategies';
import { listStrategyTypes } from '@/server/services/strategies/strategies';

// GET /api/v1/strategy-types – the strategy registry: each type with its parameter schema
export const GET = withUser(async () => reply(ZStrategyTypeListResponseSchema, listStrategyTypes()));
