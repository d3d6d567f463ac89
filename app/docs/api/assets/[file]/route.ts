import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Swagger UI's own files from the swagger-ui-dist package (no CDN): only these two, by name. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

// GET /docs/api/assets/{file} – the reference page's script and stylesheet, read from node_modules/swagger-ui-dist
export async function GET(_req: Request, { params }: { params: Promise<{ file: string }> }): Promise<Response> {
  const { file } = await params;
  const contentType = ASSETS[file];
  if (!contentType) return new Response('not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  const content = await readFile(path.join(process.cwd(), 'node_modules', 'swagger-ui-dist', file));
  // The page asks for them with ?v=<package version>: a new version is a new URL, so a long cache is safe.
  return new Response(new Uint8Array(content), { headers: { 'Content-Type': contentType, 'Cache-Control': 'public, max-age=86400' } });
}
