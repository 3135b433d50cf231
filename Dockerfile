# The tributary runtime as a container for cluster steps (Argo Workflows / Kubeflow Pipelines):
# every step runs `tributary run-node ...` with the shared store mounted at /workspace.
#   docker build -t REGISTRY/tributary:0.1.0 . && docker push REGISTRY/tributary:0.1.0
#   tributary compile my.pipeline.yaml --image REGISTRY/tributary:0.1.0 -o workflow.yaml

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY runtime runtime
# The runtime part of scripts/build.mjs (which also builds the editor), side by side: the CLI, its
# pool worker, the public entry user modules import as `tributary`, and the model server
# InfraValidator starts on loopback inside its step.
RUN npx esbuild cli=runtime/src/cli/main.ts pool-worker=runtime/src/engine/pool-worker.ts \
      index=runtime/src/index.ts serve=runtime/src/serving/serve-main.ts \
      --bundle --platform=node --target=node20 --format=esm --packages=external --sourcemap=linked \
      --outdir=dist/runtime --log-level=warning \
      "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
 && cp runtime/src/engine/pool-worker.cjs dist/runtime/pool-worker.cjs

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
# esbuild (a dependency: the runtime compiles user modules) ships its binary through an install
# script, which --ignore-scripts skips: take the build stage's copy.
COPY --from=build /app/node_modules/esbuild node_modules/esbuild
COPY --from=build /app/node_modules/@esbuild node_modules/@esbuild
COPY --from=build /app/dist/runtime dist/runtime
RUN printf '#!/bin/sh\nexec node /app/dist/runtime/cli.js "$@"\n' > /usr/local/bin/tributary && chmod +x /usr/local/bin/tributary
USER node
WORKDIR /workspace
ENTRYPOINT ["tributary"]
CMD ["--help"]
