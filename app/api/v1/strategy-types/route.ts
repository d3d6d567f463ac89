import { json, withUser } from '@/server/api/rest';
import { listStrategyTypes } from '@/server/services/strategies/strategies';

// GET /api/v1/strategy-types – the strategy registry: each type with its parameter schema
export const GET = withUser(async () => json(listStrategyTypes()));
