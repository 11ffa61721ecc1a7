# imagectl as a container image (docs/deployment.md). Multi-stage: the build stage has the
# compilers native modules may need (better-sqlite3 falls back to building from source when no
# prebuilt binary matches); the runtime stage has node, git and ssh and nothing else, and runs as
# an unprivileged user.
#
#   docker build -t imagectl .
#   docker run --rm -e IMAGECTL_STORE=postgres://imagectl@db:5432/imagectl \
#     -e IMAGECTL_STORE_PASSWORD_FILE=/run/secrets/store-password \
#     -e IMAGECTL_SECRETS_KEY_FILE=/run/secrets/secrets-key imagectl

FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts=false
COPY tsconfig.json tsconfig.build.json biome.json ./
COPY scripts ./scripts
COPY src ./src
COPY bin ./bin
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# git for every Git operation (imagectl runs the system git), openssh-client for ssh:// remotes
# and SSH commit signing, gnupg for GPG signing, tini to reap git's children as PID 1.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client gnupg ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 imagectl \
 && useradd --system --uid 10001 --gid imagectl --home-dir /var/lib/imagectl --create-home imagectl
WORKDIR /opt/imagectl
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
RUN ln -s /opt/imagectl/bin/imagectl /usr/local/bin/imagectl
USER 10001:10001
ENV IMAGECTL_HOME=/var/lib/imagectl
VOLUME ["/var/lib/imagectl"]
EXPOSE 9292
ENTRYPOINT ["/usr/bin/tini", "--", "imagectl"]
CMD ["serve", "--listen", "0.0.0.0:9292"]
