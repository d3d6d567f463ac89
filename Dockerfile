# syntax=docker/dockerfile:1
#
# One image for every Cryptobot process (README, "Deployment" → "Docker"):
#   web      node web/server.js                              (the default CMD: Next's standalone server)
#   worker   node --max-semi-space-size=64 --import tsx server/worker/main.ts   (same image, another command;
#            with GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296, see the README)
#   migrate  node --import tsx server/cli/db-migrate.ts      (one-shot, before web and worker start)
# docker-compose.yml runs all three with PostgreSQL. Build: docker build -t cryptobot .

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1

# 1. Every dependency, from the lockfile. The build needs the dev ones; native modules (isolated-vm) may compile.
FROM base AS deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# 2. The runtime dependencies of the worker and the migrations (tsx runs their TypeScript as it is).
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

# 3. The web app as Next's standalone output: .next/standalone/server.js with the node_modules files it traces.
FROM deps AS build
COPY . .
RUN NODE_ENV=production NEXT_OUTPUT=standalone npx next build

# 4. The runtime: non-root, no compilers, no dev dependencies, no source of the web app (it is built).
FROM base AS runner
ENV NODE_ENV=production \
    HOSTNAME=0.0.0.0 \
    PORT=3000
RUN groupadd --system --gid 10001 cryptobot \
  && useradd --system --uid 10001 --gid cryptobot --home-dir /app --no-create-home cryptobot
# Worker and migrations: the server code and the committed migrations, run by tsx with tsconfig's @/ paths.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY db ./db
COPY server ./server
# Web: the standalone server, with the static assets and public/ it serves but does not copy itself.
COPY --from=build /app/.next/standalone ./web
COPY --from=build /app/.next/static ./web/.next/static
COPY --from=build /app/public ./web/public
USER cryptobot
EXPOSE 3000
# The web server's health (the worker overrides it: docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENV CRYPTOBOT_SERVICE=web
CMD ["node", "web/server.js"]
