#!/usr/bin/env bash
# End-to-end CPU benchmark of README.md: TinyLlama-1.1B-shaped random models at Q4_0, Q8_0 and F16 through
# `pocket bench`, with this machine's streaming read bandwidth measured right before (JMH StreamReadBenchmark) and,
# where Node.js is installed, llama.cpp timed on the same file right after each (bench/llamacpp: node-llama-cpp's
# prebuilt CPU build from the npm registry), so the ratios come from one run.
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
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar StreamReadBenchmark -wi 2 -w 1s -i 5 -r 1s 2>/dev/null | grep -E "^Benchmark|StreamRead.*:bytes"
for t in q4_0 q8_0 f16; do
  m=models/tinyllama-1.1b-$t.gguf
  [ -f "$m" ] || ./pocket init "$m" --shape tinyllama-1.1b --type $t --seed 1
  # A heap far smaller than the file: weights are mapped, never copied onto the Java heap.
  ours=$(POCKET_JAVA_OPTS="-Xmx384m" ./pocket bench -m "$m" --backend "$backend" --prompt 64 --gen 32 --json)
  echo "$ours"
  if $llamacpp; then
    theirs=$(node bench/llamacpp/bench.mjs "$m" --threads "$(nproc)" --prompt 64 --gen 32)
    echo "$theirs"
    node -e 'const [p, l] = process.argv.slice(1).map(JSON.parse);
      console.log(`pocket / llama.cpp: prompt ${(p.prompt_tokens_per_s / l.prompt_tokens_per_s).toFixed(2)}, generation ${(p.generation_tokens_per_s / l.generation_tokens_per_s).toFixed(2)}`)' "$ours" "$theirs"
  fi
done
