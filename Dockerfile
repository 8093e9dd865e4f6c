# Capstan: multi-stage image. The build stage compiles native modules and bundles the server; the
# runtime stage holds only production dependencies and the files the server reads at run time.
#
#   docker build -t capstan .
#   docker run -d --name capstan -p 8080:8080 -v capstan-data:/data \
#     -e CAPSTAN_PUBLIC_URL=https://capstan.example.com capstan
#
# Node 20 matches better-sqlite3 12.x (13.x needs Node 22); bookworm-slim has the glibc its
# prebuilt binaries expect, and the build tools below cover a source build when none fits.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# dependencies first: this layer is reused until the lockfile changes
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# dist/capstan.js, static/vendor/htmx-*.min.js and the SDK bundle
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    CAPSTAN_HOST=0.0.0.0 \
    CAPSTAN_PORT=8080 \
    CAPSTAN_DATA_DIR=/data \
    CAPSTAN_LOG_FORMAT=json
WORKDIR /app
# package.json and schema.sql mark the root the server resolves migrations/, views/ and static/ from
COPY --from=build --chown=root:root /app/package.json /app/schema.sql ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/migrations ./migrations
COPY --from=build --chown=root:root /app/views ./views
COPY --from=build --chown=root:root /app/static ./static
# the code is read-only to the server; only /data is writable, by the unprivileged "node" user (uid 1000)
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# slim images have no curl: ask Node itself. /healthz is public and touches nothing.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.CAPSTAN_PORT || 8080) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# exec form: node is PID 1 and receives SIGTERM itself, so `docker stop` shuts down cleanly
ENTRYPOINT ["node", "dist/capstan.js"]
CMD ["serve"]
