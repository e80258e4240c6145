# One Dockerfile for every service: `docker build --build-arg APP=<service> .` from the repository root
# (azure.yaml and docker-compose.yml pass APP). See docs/adr/0025-one-dockerfile-with-an-app-build-arg.md.
# APP: voice-adapter | whatsapp-adapter | webchat-adapter | channel-router | sandbox

ARG NODE_IMAGE=node:24-slim

# --- build: install the workspace, compile the app and the packages it uses, then cut a production copy
FROM ${NODE_IMAGE} AS build
ARG APP
RUN test -n "$APP" || (echo "missing --build-arg APP=<service>" >&2 && exit 1)
ENV CI=true
RUN corepack enable
WORKDIR /repo
# Dependencies first, so a source change does not re-download them.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile
RUN pnpm exec turbo run build --filter "@omni/${APP}..." --output-logs=errors-only
# A self-contained folder: the app, its built workspace packages and production dependencies only.
# --legacy: pnpm 10 deploy without inject-workspace-packages (the lockfile stays as the workspace has it).
RUN pnpm --filter "@omni/${APP}" deploy --prod --legacy /out

# --- runtime: Node 24 slim, non-root, nothing but the production copy
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=build --chown=node:node /out ./
USER node
EXPOSE 8080
# Liveness only (/healthz); readiness (/readyz) is the orchestrator's business. Uses PORT as the platform sets it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server.js"]
