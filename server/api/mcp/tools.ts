/**
 * The MCP tools: one table, each entry a thin wrapper over the service its REST route and tRPC procedure
 * call, with the same zod schemas for its input and its answer. A tool adds no business logic; what it
 * may do is the scope it declares, checked by the MCP server (server.ts) before it runs, as withUser and
 * protectedProcedure check theirs (reads need `read`, anything that writes needs `trade`).
 *
 * Adding a tool is one entry here (name, scope, input schema, answer schema, the service call) plus a line
 * in docs/mcp.md. Walk-forward runs (issue #15) are not a service yet: when they land, they get a
 * `run_walk_forward` / `get_walk_forward` pair here shaped like `run_bias_check` / `get_bias_check` below (the run
 * queues a job and answers its summary; the get reads the result), and the MCP test gains their scope cases.
 */
import { z } from 'zod';
import type { Db } from '@/db/client';
import {
  ZBacktestListResponseSchema,
  ZBacktestResponseSchema,
  ZBacktestSummarySchema,
  ZCreateBacktestRequestSchema,
  ZCreateSweepRequestSchema,
  ZListRunsInputSchema,
  ZSweepListResponseSchema,
  ZSweepResponseSchema,
  ZSweepSummarySchema,
} from '@/server/api/schemas/backtests';
import {
  ZAlertListResponseSchema,
  ZDeploymentIdSchema,
  ZDeploymentListResponseSchema,
  ZDeploymentResponseSchema,
  ZListAlertsRequestSchema,
  ZListDeploymentsRequestSchema,
  ZStopDeploymentRequestSchema,
  ZStopDeploymentResponseSchema,
} from '@/server/api/schemas/deployments';
import { ZPortfolioRequestSchema, ZPortfolioResponseSchema } from '@/server/api/schemas/portfolio';
import {
  ZBiasCheckResponseSchema,
  ZCreateBiasCheckRequestSchema,
  ZCreateMonteCarloRequestSchema,
  ZMonteCarloResponseSchema,
  ZCreateWalkForwardRequestSchema,
  ZWalkForwardResponseSchema,
} from '@/server/api/schemas/robustness';
import {
  ZId,
  ZByIdInputSchema,
  ZCreateStrategyRequestSchema,
  ZListStrategiesInputSchema,
  ZStoredSeriesResponseSchema,
  ZStrategyListResponseSchema,
  ZStrategyResponseSchema,
  ZStrategyTypeListResponseSchema,
} from '@/server/api/schemas/strategies';
import { listAlerts } from '@/server/services/alerts';
import { createBacktest, getBacktestForUser, listBacktestsForUser } from '@/server/services/backtests/backtests';
import { listStoredSeries } from '@/server/services/backtests/data-range';
import { createSweep, getSweepForUser, listSweepsForUser } from '@/server/services/backtests/sweeps';
import { getDeployment, listDeployments, pauseDeployment, stopDeployment } from '@/server/services/deployments';
import type { ApiKeyScope } from '@/server/services/keys';
import { getPortfolio } from '@/server/services/portfolio';
import { createBiasCheck, getBiasCheckForUser } from '@/server/services/robustness/bias-checks';
import { createMonteCarlo, getMonteCarloForUser } from '@/server/services/robustness/monte-carlo';
import { createWalkForward, getWalkForwardForUser } from '@/server/services/robustness/walk-forwards';
import { createStrategyForUser, getStrategyForUser, listStrategiesForUser, listStrategyTypes } from '@/server/services/strategies/strategies';

/** What a tool runs with: the database and the authenticated user (every service call is scoped by its id). */
export interface McpToolContext {
  db: Db;
  userId: string;
}

/** A tool's input is a zod object (MCP advertises it as the JSON Schema of an object). */
type InputSchema = z.ZodObject;

export interface McpTool<I extends InputSchema = InputSchema> {
  name: string;
  title: string;
  /** What it does and what it answers, for the agent reading the tool list. */
  description: string;
  /** `read` for tools that only read; `trade` for tools that create, run or change anything. */
  scope: Extract<ApiKeyScope, 'read' | 'trade'>;
  input: I;
  /** The answer's declared shape (the REST route's response schema): checked, and unknown keys dropped, before it leaves. */
  output: z.ZodType;
  run(ctx: McpToolContext, input: z.output<I>): Promise<unknown>;
}

/** Keeps each entry's `run` typed by its own input schema. */
const tool = <I extends InputSchema>(definition: McpTool<I>): McpTool => definition as unknown as McpTool;

const READ = 'read' as const;
const TRADE = 'trade' as const;

export const MCP_TOOLS: readonly McpTool[] = [
  // Strategies ---------------------------------------------------------------------------------------
  tool({
    name: 'list_strategy_types',
    title: 'Strategy types',
    description:
      'The strategy registry: each type (e.g. sma_crossover, rsi, dca) with its parameters (type, default, min, max, meaning). Use it to pick `type` and `params` for create_strategy.',
    scope: READ,
    input: z.object({}),
    output: ZStrategyTypeListResponseSchema,
    run: async () => listStrategyTypes(),
  }),
  tool({
    name: 'list_market_data',
    title: 'Stored candle series',
    description:
      'The candle series stored on the platform (exchange, symbol, timeframe, first and last candle time in ms since epoch, UTC). A backtest or sweep needs candles of its strategy’s market within its start–end range.',
    scope: READ,
    input: z.object({}),
    output: z.array(ZStoredSeriesResponseSchema),
    run: async ({ db }) => listStoredSeries(db),
  }),
  tool({
    name: 'list_strategies',
    title: 'Your strategies',
    description: 'Your strategies (id, name, type, params, market, status), newest first; archived ones only with includeArchived.',
    scope: READ,
    input: ZListStrategiesInputSchema,
    output: ZStrategyListResponseSchema,
    run: ({ db, userId }, input) => listStrategiesForUser(db, userId, input),
  }),
  tool({
    name: 'get_strategy',
    title: 'One strategy',
    description: 'One of your strategies by id.',
    scope: READ,
    input: ZByIdInputSchema,
    output: ZStrategyResponseSchema,
    run: ({ db, userId }, { id }) => getStrategyForUser(db, userId, id),
  }),
  tool({
    name: 'create_strategy',
    title: 'Create a strategy',
    description:
      'Creates a strategy (a draft) from a registry type, its params (validated against the type; missing ones take their defaults) and a market (ccxt exchange id, unified symbol such as BTC/USDT, timeframe such as 1h). Answers the strategy with its id.',
    scope: TRADE,
    input: ZCreateStrategyRequestSchema,
    output: ZStrategyResponseSchema,
    run: ({ db, userId }, input) => createStrategyForUser(db, userId, input),
  }),

  // Backtests and sweeps -----------------------------------------------------------------------------
  tool({
    name: 'run_backtest',
    title: 'Run a backtest',
    description:
      'Queues a backtest of one of your strategies over its market’s stored candles from start to end (ISO 8601 or ms since epoch; UTC). Optional initialCapital, feeRate, slippage (numbers or decimal strings) and params overriding the strategy’s. Answers the queued run; call get_backtest with its id until status is completed (or failed).',
    scope: TRADE,
    input: ZCreateBacktestRequestSchema,
    output: ZBacktestSummarySchema,
    run: ({ db, userId }, input) => createBacktest(db, userId, input),
  }),
  tool({
    name: 'list_backtests',
    title: 'Your backtests',
    description: 'Your backtests, newest first, optionally of one strategy: status, progress and, once completed, metrics (no trades: see get_backtest).',
    scope: READ,
    input: ZListRunsInputSchema,
    output: ZBacktestListResponseSchema,
    run: ({ db, userId }, input) => listBacktestsForUser(db, userId, input),
  }),
  tool({
    name: 'get_backtest',
    title: 'One backtest and its result',
    description:
      'One backtest by id: status (queued, running, completed, failed, canceled), progress and, once completed, its metrics (return, drawdown, Sharpe, win rate, …) and every trade. Semantics: docs/backtesting.md.',
    scope: READ,
    input: ZByIdInputSchema,
    output: ZBacktestResponseSchema,
    run: ({ db, userId }, { id }) => getBacktestForUser(db, userId, id),
  }),
  tool({
    name: 'run_sweep',
    title: 'Run a parameter sweep',
    description:
      'Queues a parameter sweep: the strategy backtested over every combination of the given ranges (each {min, max, step} or {values: [...]}, at most 6 parameters) with the same data and costs as run_backtest. Answers the queued sweep; call get_sweep until status is completed.',
    scope: TRADE,
    input: ZCreateSweepRequestSchema,
    output: ZSweepSummarySchema,
    run: ({ db, userId }, input) => createSweep(db, userId, input),
  }),
  tool({
    name: 'list_sweeps',
    title: 'Your sweeps',
    description: 'Your parameter sweeps, newest first, optionally of one strategy (without their results: see get_sweep).',
    scope: READ,
    input: ZListRunsInputSchema,
    output: ZSweepListResponseSchema,
    run: ({ db, userId }, input) => listSweepsForUser(db, userId, input),
  }),
  tool({
    name: 'get_sweep',
    title: 'One sweep and its results',
    description: 'One sweep by id: status, progress and, once completed, every combination’s params and metrics.',
    scope: READ,
    input: ZByIdInputSchema,
    output: ZSweepResponseSchema,
    run: ({ db, userId }, { id }) => getSweepForUser(db, userId, id),
  }),

  // Robustness (docs/robustness.md) -------------------------------------------------------------------
  tool({
    name: 'run_bias_check',
    title: 'Check a strategy for look-ahead and recursive bias',
    description:
      'Queues look-ahead and recursive bias checks of one of your strategies over its market’s stored candles from start to end (ISO 8601 or ms since epoch; UTC). Answers the queued check; call get_bias_check until status is completed: each check says passed, or the first offending bar and what differed.',
    scope: TRADE,
    input: ZCreateBiasCheckRequestSchema.safeExtend({ strategyId: ZId }),
    output: ZBiasCheckResponseSchema,
    run: ({ db, userId }, { strategyId, start, end }) => createBiasCheck(db, userId, strategyId, { start, end }),
  }),
  tool({
    name: 'get_bias_check',
    title: 'One bias check and its findings',
    description: 'One bias check by id: status, progress and, once completed, the look-ahead and recursive findings.',
    scope: READ,
    input: ZByIdInputSchema,
    output: ZBiasCheckResponseSchema,
    run: ({ db, userId }, { id }) => getBiasCheckForUser(db, userId, id),
  }),
  tool({
    name: 'run_monte_carlo',
    title: 'Monte Carlo study of a backtest',
    description:
      'Queues a seeded Monte Carlo study of one of your completed backtests: method shuffle (trade order), bootstrap (trades with replacement) or blocks (block-bootstrapped price paths, each a full re-run), runs (1,000 to 100,000), optional seed, blockBars and ruinDrawdownPct. Call get_monte_carlo until status is completed: P5/P50/P95 of final return and max drawdown, equity bands, ruin probability.',
    scope: TRADE,
    input: ZCreateMonteCarloRequestSchema.safeExtend({ backtestId: ZId }),
    output: ZMonteCarloResponseSchema,
    run: ({ db, userId }, { backtestId, ...input }) => createMonteCarlo(db, userId, backtestId, input),
  }),
  tool({
    name: 'get_monte_carlo',
    title: 'One Monte Carlo study and its result',
    description: 'One Monte Carlo study by id: status, progress and, once completed, its percentiles, bands, distributions and ruin probability.',
    scope: READ,
    input: ZByIdInputSchema,
    output: ZMonteCarloResponseSchema,
    run: ({ db, userId }, { id }) => getMonteCarloForUser(db, userId, id),
  }),

  tool({
    name: 'run_walk_forward',
    title: 'Walk-forward optimization of a strategy',
    description:
      'Queues a walk-forward optimization of one of your strategies over start..end: folds (a count, or {inSampleDays, outOfSampleDays, stepDays}), anchored?, space ({param: {min, max, step} | [values]}), search {method: grid | random | tpe, trials?, seed?}, objective (sharpe, sortino, calmar, totalReturn, returnMinusDrawdown, profitFactor), minTrades?. Each fold picks the best in-sample cell and trades it out of sample. Call get_walk_forward until status is completed: per-fold params and metrics, stitched out-of-sample metrics and equity, efficiency.',
    scope: TRADE,
    input: ZCreateWalkForwardRequestSchema,
    output: ZWalkForwardResponseSchema,
    run: ({ db, userId }, input) => createWalkForward(db, userId, input),
  }),
  tool({
    name: 'get_walk_forward',
    title: 'One walk-forward and its result',
    description:
      'One walk-forward by id: status, progress over every fold, each finished fold’s windows, chosen params and metrics, and once completed the stitched out-of-sample metrics, equity, efficiency and parameter stability.',
    scope: READ,
    input: ZByIdInputSchema,
    output: ZWalkForwardResponseSchema,
    run: ({ db, userId }, { id }) => getWalkForwardForUser(db, userId, id),
  }),

  // Portfolio, deployments and alerts -------------------------------------------------------------------
  tool({
    name: 'get_portfolio',
    title: 'Portfolio',
    description:
      'Per account: balances, positions (average cost), equity, realized and unrealized P&L, P&L today; and totals, valued in `currency` (default USDT). Money and quantities are decimal strings. Semantics: docs/portfolio.md.',
    scope: READ,
    input: ZPortfolioRequestSchema,
    output: ZPortfolioResponseSchema,
    run: ({ db, userId }, input) => getPortfolio(db, userId, input),
  }),
  tool({
    name: 'list_deployments',
    title: 'Your deployments',
    description: 'Your deployments (strategies running in paper or live mode), newest first, optionally filtered by strategyId, accountId or state.',
    scope: READ,
    input: ZListDeploymentsRequestSchema,
    output: ZDeploymentListResponseSchema,
    run: async ({ db, userId }, input) => ({ deployments: await listDeployments(db, userId, input) }),
  }),
  tool({
    name: 'get_deployment',
    title: 'One deployment',
    description: 'One deployment by id: state, last bar, last decision, position and P&L.',
    scope: READ,
    input: ZDeploymentIdSchema,
    output: ZDeploymentResponseSchema,
    run: ({ db, userId }, { id }) => getDeployment(db, userId, id),
  }),
  tool({
    name: 'list_alerts',
    title: 'Alerts',
    description:
      'Your alerts, newest first: order rejections, circuit breakers, the kill switch, reconciliation findings. unacknowledged: "true" for the open ones only; limit 1–500.',
    scope: READ,
    input: ZListAlertsRequestSchema,
    output: ZAlertListResponseSchema,
    run: async ({ db, userId }, input) => ({
      alerts: await listAlerts(db, userId, { unacknowledgedOnly: input.unacknowledged === 'true', limit: input.limit }),
    }),
  }),
  tool({
    name: 'pause_deployment',
    title: 'Pause a deployment',
    description: 'Pauses one of your running deployments: it stops deciding and trading until resumed in the app (open orders stay). Answers the deployment.',
    scope: TRADE,
    input: ZDeploymentIdSchema,
    output: ZDeploymentResponseSchema,
    run: ({ db, userId }, { id }) => pauseDeployment(db, userId, id),
  }),
  tool({
    name: 'stop_deployment',
    title: 'Stop a deployment',
    description:
      'Stops one of your deployments for good: cancels its open orders and, with closePosition: true, sells its position at market. Cannot be undone. Answers the stopped deployment and what was canceled or sold.',
    scope: TRADE,
    input: ZDeploymentIdSchema.extend(ZStopDeploymentRequestSchema.shape),
    output: ZStopDeploymentResponseSchema,
    run: ({ db, userId }, { id, closePosition }) => stopDeployment(db, userId, id, { closePosition }),
  }),
];
