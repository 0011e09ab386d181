#!/usr/bin/env bash
# End-to-end CPU benchmark of README.md: TinyLlama-1.1B-shaped random models at Q4_0, Q8_0 and F16 through
# `pocket bench`, each right after a two-thread streaming read of this machine's memory (JMH StreamReadBenchmark:
# this VM's bandwidth moves between about 40 and 77 GB/s within minutes, so each model gets its own) and, where
# Node.js is installed, right before llama.cpp on the same file (bench/llamacpp: node-llama-cpp's prebuilt CPU
# build from the npm registry), so the ratios come from one run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
backend="${1:-cpu}"
mkdir -p models
[ -f bench/target/benchmarks.jar ] || mvn -q -B -pl bench -am package -DskipTests
llamacpp=false
if command -v node >/dev/null && command -v npm >/dev/null; then
  [ -d bench/llamacpp/node_modules/node-llama-cpp ] || (cd bench/llamacpp && npm install --no-package-lock --ignore-scripts --omit=optional --no-audit --no-fund >/dev/null)
  llamacpp=true
else
  echo "node/npm not found: llama.cpp is not timed alongside"
fi
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar StreamReadBenchmark.oneThread -wi 2 -w 1s -i 3 -r 1s 2>/dev/null | grep -E "^StreamRead.*:bytes"
for t in q4_0 q8_0 f16; do
  m=models/tinyllama-1.1b-$t.gguf
  [ -f "$m" ] || ./pocket init "$m" --shape tinyllama-1.1b --type $t --seed 1
  stream=$("$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar StreamReadBenchmark.twoThreads -wi 1 -w 1s -i 3 -r 1s 2>/dev/null \
    | awk '/^StreamReadBenchmark.twoThreads:bytes/ {print $4}')
  # A heap far smaller than the file: weights are mapped, never copied onto the Java heap.
  ours=$(POCKET_JAVA_OPTS="-Xmx384m" ./pocket bench -m "$m" --backend "$backend" --prompt 64 --gen 32 --json)
  echo "$ours"
  echo "$ours" | awk -v s="$stream" -F'"achieved_gb_per_s": ' '{split($2, a, "}"); printf "stream read (2 threads) %.1f GB/s; generation streams %.1f GB/s of weights: %.0f%%\n", s / 1e9, a[1], 100 * a[1] * 1e9 / s}'
  if $llamacpp; then
    theirs=$(node bench/llamacpp/bench.mjs "$m" --threads "$(nproc)" --prompt 64 --gen 32)
    echo "$theirs"
    node -e 'const [p, l] = process.argv.slice(1, 3).map(JSON.parse), gbps = l.generation_tokens_per_s * p.weight_bytes / 1e9;
      console.log(`llama.cpp streams ${gbps.toFixed(1)} GB/s of weights: ${(100 * gbps * 1e9 / process.argv[3]).toFixed(0)}%`);
      console.log(`pocket / llama.cpp: prompt ${(p.prompt_tokens_per_s / l.prompt_tokens_per_s).toFixed(2)}, generation ${(p.generation_tokens_per_s / l.generation_tokens_per_s).toFixed(2)}`)' "$ours" "$theirs" "$stream"
  fi
done
