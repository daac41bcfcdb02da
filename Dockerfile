# syntax=docker/dockerfile:1
#
# merchant-customers: build once, run as a non-root user with production dependencies only.
#
#   docker build -t merchant-customers .
#   docker run -p 3000:3000 -v customers-data:/app/data merchant-customers
#
# NODE_ENV=production: no demo merchant is created, so make a key with the CLI in the same volume:
#   docker run --rm -v customers-data:/app/data merchant-customers \
#     npm run -s cli -- merchant:create --name "Acme" --json
# Migrations run at start-up; to run them as a separate step (MIGRATIONS_RUN=false on the service),
# `npm run migration:run` works in this image too: without the Nest CLI it uses the built dist/.
#
# The base image is pinned to a release of the current Node.js LTS line, 24 (.nvmrc; CI tests it
# and the oldest supported, 20.19); to make builds fully reproducible, add its digest:
# node:24.22.3-bookworm-slim@sha256:<digest>.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# ---- build: compile TypeScript and the better-sqlite3 native addon ----------------------------
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The default DATABASE_URL is sqlite:data/customers.sqlite, i.e. /app/data: keep it in a volume.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
# Readiness: GET /health/ready answers 200 without an API key once the database answers (503 while
# it does not; a Redis outage only shows as "degraded"). Orchestrators that restart on failure
# should probe /health/live instead.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# A fixed old-generation limit (as npm start sets it): V8 collects sooner instead of growing a heap
# that is mostly garbage, so peak RSS under load stays under 200 MB (README, "Memory").
CMD ["node", "--max-old-space-size=384", "dist/src/main.js"]
