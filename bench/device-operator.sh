#!/usr/bin/env bash
# Operator checks on a real NVIDIA GPU (issue 11). On the device machine, from the project root,
# after the device kit (../shared/tools/device-kit.sh; also `cp -r ../shared/zgs-contracts .gpu/`
# here first so the devnet part has its contracts):
#   . .gpu/setup.sh && bash bench/device-operator.sh
# Prints what nvidia-smi gives (the exact query zg-miner makes), `zg-miner devices` (text and
# JSON) and whether Dawn's limit notices stayed out of its normal output, a 5 s
# `bench --backend gpu --json`, and a devnet mining on the GPU for up to 150 s with
# --temperature-limit 95 (its /status `gpus`, its zg_miner_gpu_* metrics, its hashrate lines).
# The last line is one JSON object summarising it all. About 4 minutes.
set -uo pipefail
ZG=${ZG:-"node /opt/k/zg/dist/src/cli/main.js"}
pkg=$(dirname "$(echo "$ZG" | awk '{print $2}')")/../../..
# The device kit predates the dashboard: give the unpacked package its web/ folder.
[ -d "$pkg/web" ] || cp -r web "$pkg/" 2>/dev/null || true
out=$(mktemp -d)
fields=index,name,pci.bus_id,uuid,temperature.gpu,power.draw,power.limit,fan.speed,clocks.sm,clocks.mem,memory.used,memory.total,utilization.gpu

echo "== nvidia-smi -L"; nvidia-smi -L 2>&1 | tee "$out/smi-L.txt"
echo "== nvidia-smi --query-gpu=$fields --format=csv,noheader,nounits"
nvidia-smi --query-gpu=$fields --format=csv,noheader,nounits 2>&1 | tee "$out/smi.csv"
echo "== nvidia-smi --query-gpu=$fields --format=csv (with units, for reading)"
nvidia-smi --query-gpu=$fields --format=csv 2>&1

echo "== zg-miner --version"; $ZG --version
echo "== zg-miner devices"
$ZG devices >"$out/devices.txt" 2>"$out/devices.err"; devices_rc=$?
cat "$out/devices.txt"; echo "-- stderr:"; cat "$out/devices.err"
dawn_in_normal=$(grep -c 'maxDynamic' "$out/devices.txt" "$out/devices.err" | awk -F: '{s+=$2} END {print s+0}')
$ZG devices --log-level debug 2>&1 | grep -c 'DEBUG native:' >"$out/dawn-debug-count.txt"
echo "== zg-miner devices --json"; $ZG devices --json 2>/dev/null | tee "$out/devices.json"

echo "== zg-miner bench --backend gpu --seconds 5 --json"
$ZG bench --backend gpu --seconds 5 --json 2>"$out/bench.err" | tee "$out/bench.json"
tail -3 "$out/bench.err"

contracts=""
for c in .gpu/zgs-contracts/artifacts.json shared/zgs-contracts/artifacts.json ../shared/zgs-contracts/artifacts.json; do
  [ -f "$c" ] && { contracts=$c; break; }
done
status_gpus=null; metric_lines=0; hashrate_line=""; devnet_rc=skipped
if [ -n "$contracts" ]; then
  echo "== zg-miner devnet --backend gpu --temperature-limit 95 (up to 150 s)"
  $ZG devnet --backend gpu --contracts "$contracts" --info-file "$out/info.json" --timeout 150 \
    --temperature-limit 95 >"$out/devnet.log" 2>&1 &
  pid=$!
  for _ in $(seq 120); do [ -f "$out/info.json" ] && break; sleep 1; done
  if [ -f "$out/info.json" ]; then
    base=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).dashboard)' "$out/info.json")
    # Until the first 30 s hashrate line (it carries the nvidia-smi readings).
    for _ in $(seq 60); do grep -q 'hashrate ' "$out/devnet.log" && break; sleep 1; done
    curl -s "${base}status" >"$out/status.json"
    curl -s "${base}metrics" | grep '^zg_miner_gpu_' | tee "$out/gpu-metrics.txt"
    curl -s -o "$out/dashboard.html" -w 'dashboard: HTTP %{http_code}\n' "$base"
    status_gpus=$(node -e 'try{const s=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(JSON.stringify(s.gpus))}catch{console.log("null")}' "$out/status.json")
    metric_lines=$(wc -l <"$out/gpu-metrics.txt")
  fi
  kill -INT $pid 2>/dev/null; wait $pid; devnet_rc=$?
  grep -E 'hashrate |gpu [0-9]+:|search paused|summary:' "$out/devnet.log" | tail -8
  hashrate_line=$(grep -m1 'hashrate ' "$out/devnet.log" | cut -c1-300)
else
  echo "== devnet skipped: no zgs-contracts/artifacts.json (cp -r ../shared/zgs-contracts .gpu/ before the run)"
fi

node -e '
const fs = require("fs"); const [dir, devicesRc, dawnNormal, devnetRc, statusGpus, metricLines, hashrateLine] = process.argv.slice(1);
const read = (f) => { try { return fs.readFileSync(dir + "/" + f, "utf8"); } catch { return ""; } };
let bench = null; try { bench = JSON.parse(read("bench.json").trim().split("\n").pop()); } catch {}
let devices = null; try { devices = JSON.parse(read("devices.json")); } catch {}
console.log(JSON.stringify({
  check: "device-operator", nvidiaSmiCsv: read("smi.csv").trim().split("\n"),
  devicesExit: Number(devicesRc), devicesNvidiaSmi: devices && devices.nvidiaSmi, adapters: devices && devices.adapters.map((a) => a.description),
  dawnNoticesInNormalOutput: Number(dawnNormal), dawnNoticesAtDebug: Number(read("dawn-debug-count.txt").trim() || 0),
  bench, devnetExit: devnetRc, statusGpus: JSON.parse(statusGpus), gpuMetricLines: Number(metricLines), hashrateLine,
}));' "$out" "$devices_rc" "$dawn_in_normal" "$devnet_rc" "$status_gpus" "$metric_lines" "$hashrate_line"
