# zg-miner: multi-stage image. The runtime stage carries the Vulkan loader so the WebGPU backend
# (npm `webgpu` = Dawn over Vulkan) can reach an NVIDIA GPU: run it with the NVIDIA container
# runtime (`docker run --gpus all ...`); NVIDIA_DRIVER_CAPABILITIES must include `graphics`, or the
# runtime does not mount the Vulkan ICD and only the CPU backend is available.
#
#   docker build -t zg-miner .
#   docker run --gpus all -v $PWD/config.toml:/config.toml -v zg-data:/data zg-miner --config /config.toml --data-dir /data
#
# The default image mines; `zg-miner devnet` also needs anvil (43 MB), which only the `devnet`
# target carries:  docker build --target devnet -t zg-miner:devnet .
# test/docker.sh builds both and runs selftest and a devnet in them.

# ---- build: install all dependencies, compile TypeScript and the wasm module, drop dev deps ----
FROM node:20-bookworm-slim AS build
# python3, make and g++ build the optional native AIO reader (src/native) with node-gyp.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY shaders ./shaders
# The AIO addon is optional (the loader falls back to libuv reads): keep the folder even if it failed.
# Then drop what no runtime stage needs: dev dependencies, Dawn builds for other platforms (npm
# `webgpu` ships five, ~130 MB; index.js loads dist/<platform>-<arch>), and anvil, which is moved
# aside for the devnet target.
RUN npm run build && mkdir -p src/native/build/Release && npm prune --omit=dev \
 && keep="$(node -p 'process.platform + "-" + process.arch')" \
 && find node_modules/webgpu/dist -mindepth 1 -maxdepth 1 ! -name "$keep" -exec rm -rf {} + \
 && mkdir -p /anvil/@foundry-rs && mv node_modules/@foundry-rs/* /anvil/@foundry-rs/

# ---- runtime: node + Vulkan loader (and libglvnd, which the NVIDIA ICD links against), no compilers ----
FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvulkan1 libglvnd0 libglx0 libegl1 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The commit `zg-miner --version` and bench lines report (.git is not in the build context).
ARG ZGMINER_COMMIT=unknown
# The store reader's start-up settings (src/store/threadpool.ts loaderEnv: 128 libuv pool threads,
# glibc thresholds that keep 256 KiB load arrays on the heap), set here so `mine` needs no re-exec.
ENV ZGMINER_COMMIT=$ZGMINER_COMMIT \
    UV_THREADPOOL_SIZE=128 \
    MALLOC_MMAP_THRESHOLD_=4194304 \
    MALLOC_TRIM_THRESHOLD_=268435456 \
    NODE_ENV=production \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/shaders ./shaders
COPY web ./web
COPY --from=build /app/src/native/build/Release ./src/native/build/Release
RUN ln -s /app/dist/src/cli/main.js /usr/local/bin/zg-miner && chmod +x /app/dist/src/cli/main.js \
 && mkdir /data && chown node:node /data
# Sealed store, miner id and imported files; metrics on 9464 (bind 0.0.0.0 to publish it:
# --metrics-address 0.0.0.0:9464).
VOLUME ["/data"]
EXPOSE 9464
USER node
ENTRYPOINT ["zg-miner"]
CMD ["--help"]

# ---- devnet: the runtime plus anvil, for `zg-miner devnet` (docker build --target devnet) ----
FROM runtime AS devnet
COPY --from=build /anvil/@foundry-rs ./node_modules/@foundry-rs

# ---- the default image: the runtime without anvil ----
FROM runtime
