# syntax=docker/dockerfile:1
# Build: npm ci, then the same build `npm start` runs.
FROM node:24-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json .swcrc nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY bench ./bench
RUN npm run build

# Production dependencies only.
FROM node:24-bookworm-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
# Events and pending webhook deliveries live in server.data_dir (default ./data): keep it on a volume.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
# Mount the configuration file and set DEVICEGATE_CONFIG (see README). Without one, sandbox mode listens on
# 127.0.0.1 inside the container, unreachable through -p, unless DEVICEGATE_SANDBOX_HOST=0.0.0.0 is set.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The same flags as `npm start` (test/runtime-flags.e2e-spec.ts): a bounded heap, old and young generation,
# keeps the resident size under 250 MB under load.
CMD ["node", "--enable-source-maps", "--max-old-space-size=192", "--max-semi-space-size=16", "--heap-growing-percent=200", "dist/apps/gateway/src/main.js"]
