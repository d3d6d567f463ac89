import { handleMcpRequest } from '@/server/api/mcp/server';

export const dynamic = 'force-dynamic';

// POST /api/mcp – the MCP server for AI agents (streamable HTTP, stateless, JSON answers; API key as Bearer): docs/mcp.md
// GET and DELETE /api/mcp – 405: no server-initiated stream, no session
export { handleMcpRequest as POST, handleMcpRequest as GET, handleMcpRequest as DELETE };
