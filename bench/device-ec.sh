#!/usr/bin/env bash
# Real-GPU figures for erasure coding and host-to-host sealing (issue #8), for the Speed table.
# Run from the repository root on a machine with a GPU, Node and the built project (npm ci);
# prints one JSON line per measurement on stdout (progress and Dawn's warnings go to stderr).
# About 1-2 minutes on an H100/H200. Goals: ec 10+4 in VRAM >= 250 GB/s, ec host-to-host
# >= 20 GB/s, seal() host-to-host >= 10 GB/s, selftest --backend gpu: every rs- case passes.
set -uo pipefail
cd "$(dirname "$0")/.."
CLI=dist/src/cli/main.js
VECTORS=${ZG_VECTORS_DIR:-../shared/vectors}
[ -f "$CLI" ] || { echo '{"error":"dist/ missing: run npm ci (or npm run build) first"}'; exit 1; }

run() { # name, then the command; prints the command's JSON line, or an error line naming it
  local name=$1; shift
  local out rc
  out=$("$@" 2>/tmp/device-ec-$name.err); rc=$?
  if [ $rc -eq 0 ] && [ -n "$out" ]; then echo "$out" | tail -n 1
  else printf '{"check":"%s","rc":%d,"error":%s}\n' "$name" "$rc" "$(tail -n 3 /tmp/device-ec-$name.err | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.stringify(s.trim())))')"
  fi
}

node -e 'const os=require("os");console.log(JSON.stringify({check:"host",cpu:os.cpus()[0]?.model,cores:os.availableParallelism(),memGiB:Math.round(os.totalmem()/2**30),node:process.version}))'
node "$CLI" devices --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const a=JSON.parse(s);console.log(JSON.stringify({check:"devices",adapters:(a.adapters??a).map?.(x=>x.description)??a}))}catch{console.log(JSON.stringify({check:"devices",raw:s.slice(0,300)}))}})'

# 1. Erasure coding on the GPU, 10+4, 1 MiB shards: host memory -> host memory through the
#    transfer ring (encodeGBps, reconstructGBps) and the kernel with the codewords in VRAM (vram*).
run ec-gpu node "$CLI" bench ec --backend gpu --data 10 --parity 4 --shard-size 1048576 --seconds 4 --json
# Wider stripes too (reconstruct of 4 lost data shards is the heavier direction).
run ec-gpu-64k node "$CLI" bench ec --backend gpu --data 10 --parity 4 --shard-size 65536 --seconds 3 --json
# 2. Sealing: the kernel in VRAM (sealBytesPerSecond) and host-to-host through seal() (hostSealBytesPerSecond).
run seal-gpu node "$CLI" bench seal --backend gpu --seconds 4 --json
# 3. The CPU path on this host, one thread and all cores, beside the Rust crate (if installed).
run ec-cpu-1 node "$CLI" bench ec --backend cpu --threads 1 --seconds 3 --json
run ec-cpu-all node "$CLI" bench ec --backend cpu --seconds 3 --json
# 4. Golden vectors through the GPU kernels: every rs- encode and reconstruct trial, 0 skipped.
out=$(timeout 300 node "$CLI" selftest --vectors "$VECTORS" --backend gpu 2>/tmp/device-ec-selftest.err); rc=$?
fails=$(echo "$out" | grep -c '^FAIL' || true)
printf '{"check":"selftest-gpu","rc":%d,"summary":"%s","failLines":%d}\n' "$rc" "$(echo "$out" | tail -n 1)" "$fails"
