import { reply, withPublic } from '@/server/api/rest';
import { openApiDocument } from '@/server/api/openapi/document';
import { ZOpenApiDocumentResponseSchema } from '@/server/api/openapi/routes';

// GET /api/v1/openapi.json – the OpenAPI 3.1 document of this API (public; the same for everyone, so cacheable)
export const GET = withPublic(async () => reply(ZOpenApiDocumentResponseSchema, openApiDocument(), 200, { 'Cache-Control': 'public, max-age=300' }));
