/**
 * The MCP server (Model Context Protocol, streamable HTTP) behind POST /api/mcp, for AI agents. Stateless:
 * every request gets a fresh server and transport that live as long as the request (no session, nothing in
 * memory between requests), so it runs as a serverless function like any other route, and JSON answers
 * rather than SSE streams (no tool here streams progress; a long run is queued and polled).
 *
 * Authentication is the REST layer's: `Authorization: Bearer <API key>` (or an access token), checked by
 * authenticateRequest, throttled and audited the same way; a browser session cookie is not accepted (an
 * MCP client is never a browser, and a cookie would make the endpoint a cross-site target). Each tool
 * declares the scope it needs (tools.ts) and a call without it is refused with the REST 403's message.
 * Tool errors are the REST error body (`{"error": {code, message, details?}}`) as the tool result's text,
 * with `isError: true`; unexpected errors are logged with an id and answered with the id only.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { getDatabase, type Db } from '@/db/client';
import type { Principal } from '@/server/auth/credentials';
import { authenticateRequest } from '@/server/auth/credentials';
import { AppError } from '@/server/core/errors';
import { rotationHeaders } from '@/server/services/keys';
import { assertDeclaredBodySize, bodyLimitBytes } from '../body-limit';
import { toAppError } from '../errors';
import { assertAllowed, clientIp, errorResponse, ResponseShapeError } from '../rest';
import { MCP_TOOLS, type McpTool } from './tools';

export const MCP_SERVER_INFO = { name: 'cryptobot', version: '1.0.0' } as const;

const INSTRUCTIONS = [
  'Cryptobot: backtest, paper-trade and deploy crypto trading strategies. Every tool acts on your own account only.',
  'To test an idea: list_strategy_types (the parameters each type takes), list_market_data (which candles are stored),',
  'create_strategy, run_backtest (queues it), then get_backtest until its status is completed; run_sweep / get_sweep',
  'compare parameter combinations. get_portfolio, list_deployments and list_alerts show what is running;',
  'pause_deployment and stop_deployment need an API key with the trade scope.',
  'Money and quantities are decimal strings; times are ISO 8601 UTC or milliseconds since epoch.',
].join(' ');

/** A tool's failure as MCP reports it: the REST error body as text, flagged isError. */
function toolError(error: unknown, context: Record<string, unknown>): CallToolResult {
  const { appError, errorId } = toAppError(error, context);
  const body = appError
    ? { error: { code: appError.code, message: appError.message, ...(appError.details ? { details: appError.details } : {}) } }
    : { error: { code: 'INTERNAL', message: `internal error (id ${errorId})`, errorId } };
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }] };
}

async function callTool(tool: McpTool, db: Db, principal: Principal, input: unknown): Promise<CallToolResult> {
  try {
    assertAllowed(principal, tool.scope);
    const result = await tool.run({ db, userId: principal.user.id }, input as never);
    // As REST's reply() and tRPC's .output(): an answer off its declared shape is our bug, never sent. Parsing
    // (not merely checking) drops any key the schema does not declare, so nothing undeclared leaves.
    const checked = tool.output.safeParse(result);
    if (!checked.success) throw new ResponseShapeError(checked.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`));
    return { content: [{ type: 'text', text: JSON.stringify(checked.data) }] };
  } catch (error) {
    return toolError(error, { mcpTool: tool.name, userId: principal.user.id });
  }
}

/** The MCP server of one request, for one authenticated caller: every tool, each refusing a caller without its scope. */
export function createMcpServer(db: Db, principal: Principal): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, { instructions: INSTRUCTIONS });
  for (const tool of MCP_TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: `${tool.description} Needs the "${tool.scope}" scope.`,
        inputSchema: tool.input,
        annotations: {
          title: tool.title,
          readOnlyHint: tool.scope === 'read',
          destructiveHint: tool.name === 'stop_deployment',
          openWorldHint: false,
        },
        _meta: { 'cryptobot/scope': tool.scope },
      },
      (input: unknown) => callTool(tool, db, principal, input),
    );
  }
  return server;
}

function methodNotAllowed(): Response {
  // Stateless: no server-initiated stream to GET and no session to DELETE (the MCP spec's answer is 405).
  return Response.json(
    { error: { code: 'METHOD_NOT_ALLOWED', message: 'this MCP endpoint is stateless: send JSON-RPC requests with POST' } },
    { status: 405, headers: { Allow: 'POST', 'Cache-Control': 'no-store' } },
  );
}

/** POST /api/mcp: authenticate, then answer the JSON-RPC message(s) with a server built for this caller alone. */
export async function handleMcpRequest(req: Request): Promise<Response> {
  if (req.method !== 'POST') return methodNotAllowed();
  const context = { method: req.method, url: '/api/mcp' };
  let principal: Principal | null = null;
  try {
    assertDeclaredBodySize(req, 'json');
    if (!req.headers.get('authorization')) throw new AppError('UNAUTHORIZED', 'send Authorization: Bearer <API key> (create one on the API keys page)');
    const db = getDatabase().db;
    const auth = await authenticateRequest(db, req, clientIp(req));
    if (!auth) throw new AppError('UNAUTHORIZED', 'send Authorization: Bearer <API key>');
    if ('error' in auth)
      throw new AppError(
        auth.retryAfterSeconds ? 'TOO_MANY_REQUESTS' : 'UNAUTHORIZED',
        auth.error,
        auth.retryAfterSeconds ? { retryAfterSeconds: auth.retryAfterSeconds } : undefined,
      );
    principal = auth;
    const server = createMcpServer(db, principal);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: bodyLimitBytes('json'),
    });
    await server.connect(transport);
    let response: Response;
    try {
      // In JSON mode the answer is complete when this resolves: closing the server afterwards loses nothing.
      response = await transport.handleRequest(req);
    } finally {
      await server.close();
    }
    return withHeaders(response, principal);
  } catch (error) {
    const response = errorResponse(error, { ...context, userId: principal?.user.id });
    if (error instanceof AppError && error.code === 'UNAUTHORIZED') response.headers.set('WWW-Authenticate', 'Bearer realm="cryptobot"');
    return withHeaders(response, principal);
  }
}

/** no-store, and for API-key callers when the key stops and whether a successor waits (as every REST response). */
function withHeaders(response: Response, principal: Principal | null): Response {
  const headers = new Headers(response.headers);
  headers.set('Cache-Control', 'no-store');
  if (principal?.apiKey) for (const [name, value] of Object.entries(rotationHeaders(principal.apiKey))) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
