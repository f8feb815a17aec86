#!/usr/bin/env bash
# The Docker image, tested: builds the default (mining) image and the devnet target against a local
# stand-in for node:20-bookworm-slim (../shared/tools/docker-standin-base.sh: no image registry is
# reachable here), then in containers: `--version`, `selftest` over the golden vectors, the default
# image refusing `devnet` with the advice to use the devnet target, and `devnet
# --exit-after-submissions 1` in the devnet image. Prints the image sizes.
#
# Needs a running Docker engine (Debian `docker.io`), and root for the stand-in base (debootstrap).
# Not part of .ci/run (CI has no Docker engine): run it by hand, `bash test/docker.sh`.
# Without docker it says so and exits 0 (a skip); any failure exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v docker >/dev/null 2>&1; then echo "test/docker.sh: SKIP: no docker command"; exit 0; fi
if ! docker info >/dev/null 2>&1; then echo "test/docker.sh: SKIP: no Docker engine answers (start dockerd)"; exit 0; fi
shared=$(cd .. && pwd)/shared
[ -d "$shared/vectors" ] || { echo "test/docker.sh: ../shared (vectors, contracts, tools) is missing" >&2; exit 1; }

tag=zg-miner:docker-test
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
fail() { echo "test/docker.sh: FAIL: $*" >&2; exit 1; }

bash "$shared/tools/docker-standin-base.sh"
docker build --network host --build-arg ZGMINER_COMMIT="$commit" -t "$tag" . >/tmp/zg-docker-build.log 2>&1 \
  || { tail -30 /tmp/zg-docker-build.log; fail "docker build (log: /tmp/zg-docker-build.log)"; }
docker build --network host --build-arg ZGMINER_COMMIT="$commit" --target devnet -t "$tag-devnet" . >>/tmp/zg-docker-build.log 2>&1 \
  || { tail -30 /tmp/zg-docker-build.log; fail "docker build --target devnet"; }
size() { docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1/1e6}'; }
echo "images: $tag $(size "$tag"), $tag-devnet $(size "$tag-devnet")"

v=$(docker run --rm "$tag" --version)
echo "$v"
[[ "$v" == "zg-miner "*"(commit $commit,"* ]] || fail "--version: $v"

out=$(docker run --rm -v "$shared:/shared:ro" "$tag" selftest --vectors /shared/vectors 2>&1 | tail -1)
echo "$out"
[[ "$out" =~ ^selftest:\ [1-9][0-9]*\ passed,\ 0\ failed ]] || fail "selftest: $out"

if no=$(docker run --rm -v "$shared:/shared:ro" "$tag" devnet --exit-after-submissions 1 --timeout 60 2>&1); then fail "devnet ran in the image without anvil"; fi
grep -q 'docker build --target devnet' <<<"$no" || fail "devnet without anvil did not point to the devnet target: $no"

docker run --rm -v "$shared:/shared:ro" "$tag-devnet" devnet --exit-after-submissions 1 --timeout 400 >/tmp/zg-docker-devnet.log 2>&1 \
  || { tail -20 /tmp/zg-docker-devnet.log; fail "devnet in the devnet image (log: /tmp/zg-docker-devnet.log)"; }
grep -E 'devnet: accepted answer 1/1|summary: up' /tmp/zg-docker-devnet.log
echo "test/docker.sh: 4 passed, 0 failed"
