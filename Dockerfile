# syntax=docker/dockerfile:1
# Latchkey runs its TypeScript directly on Node 24 (type stripping), so there is no compile
# step: the first stage proves the sources typecheck, the second installs production
# dependencies only, the last is a slim image that runs as the unprivileged "node" user.

FROM node:24-bookworm-slim AS check
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json biome.json ./
COPY server ./server
COPY migrations ./migrations
COPY test ./test
RUN npm run typecheck

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=check /app/server ./server
COPY migrations ./migrations
COPY views ./views
COPY keys/README.md ./keys/README.md
RUN mkdir -p data && chown node:node data keys
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "server/main.ts"]
