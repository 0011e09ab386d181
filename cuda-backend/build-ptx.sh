#!/usr/bin/env bash
# Compiles the shared kernels (kernels/dialect_cuda.h + kernels/*.kern, common.kern first), then the CUDA-only
# kernels (CUDA_DIR/*.cu, which use the dialect and the shared helpers), to one PTX module.
# Usage: build-ptx.sh KERNELS_DIR CUDA_DIR OUT_DIR. Without nvcc it prints why and succeeds (no PTX is shipped).
set -euo pipefail
shopt -s nullglob
kernels=$(cd "$1" && pwd)
cuda=$(cd "$2" && pwd)
out=$3
if ! command -v nvcc >/dev/null 2>&1; then
  echo "[pocket-cuda] nvcc not found on PATH: skipping PTX generation (the CUDA backend will report no kernels)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo '#include "dialect_cuda.h"'
  echo '#include "common.kern"'
  for f in "$kernels"/*.kern; do
    [ "$(basename "$f")" = common.kern ] || echo "#include \"$(basename "$f")\""
  done
  for f in "$cuda"/*.cu; do echo "#include \"$f\""; done
} > "$work/pocket_kernels.cu"
mkdir -p "$out"
# compute_75 is nvcc 13's oldest target; the PTX runs on sm_75 and newer.
nvcc -ptx -arch=compute_75 -I"$kernels" "$work/pocket_kernels.cu" -o "$work/pocket_kernels.ptx"
# nvcc 13 writes PTX ISA 9.0; CUDA 12.0+ drivers and JCuda's nvPTXCompiler accept up to 8.0
# (PtxAssemblesTest checks that the rewritten module still assembles).
sed -e 's/^\.version 9\.[0-9]*$/.version 8.0/' "$work/pocket_kernels.ptx" > "$out/pocket_kernels.ptx"
echo "[pocket-cuda] wrote $out/pocket_kernels.ptx ($(grep -c '^\.visible \.entry' "$out/pocket_kernels.ptx") kernels)"
