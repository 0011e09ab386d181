#!/usr/bin/env bash
# End-to-end CPU benchmark of README.md: TinyLlama-1.1B-shaped random models at Q4_0, Q8_0 and F16 through
# `pocket bench` (which reads the memory's bandwidth itself before and after each measured run: this VM's moves
# between about 34 and 77 GB/s within minutes) and, where Node.js is installed, llama.cpp on the same file right
# after (bench/llamacpp: node-llama-cpp's prebuilt CPU build from the npm registry), between two streaming reads of
# all cores (JMH StreamReadBenchmark), so the ratios come from one run.
# Environment: PROMPT (prompt tokens, default 64), KV (our KV cache type, f32 or f16, default f32; llama.cpp's is
# F16), TYPES (default "q4_0 q8_0 f16"). Long context: PROMPT=1000 KV=f16 TYPES=q4_0 bash scripts/bench-tinyllama.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
backend="${1:-cpu}"
prompt="${PROMPT:-64}" kv="${KV:-f32}" types="${TYPES:-q4_0 q8_0 f16}"
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
stream() { "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar StreamReadBenchmark.twoThreads -wi 1 -w 1s -i 3 -r 1s 2>/dev/null \
  | awk '/^StreamReadBenchmark.twoThreads:bytes/ {print $4}'; }
for t in $types; do
  m=models/tinyllama-1.1b-$t.gguf
  [ -f "$m" ] || ./pocket init "$m" --shape tinyllama-1.1b --type $t --seed 1
  # A heap far smaller than the file: weights are mapped, never copied onto the Java heap.
  ours=$(POCKET_JAVA_OPTS="-Xmx384m" ./pocket bench -m "$m" --backend "$backend" --prompt "$prompt" --gen 32 --kv-type "$kv" --json)
  echo "$ours"
  echo "$ours" | awk -F'"achieved_gb_per_s": ' '{split($2, a, ", "); r = $0; sub(/.*"read_gb_per_s": /, "", r); sub(/,.*/, "", r);
    if (r == "null") printf "generation streams %.1f GB/s of weights\n", a[1];
    else printf "memory read %.1f GB/s around the run; generation streams %.1f GB/s of weights: %.0f%%\n", r, a[1], 100 * a[1] / r;
    s = $0; sub(/.*"parallel_share": /, "", s); sub(/,.*/, "", s); g = $0; sub(/.*"parallel_gb_per_s": /, "", g); sub(/,.*/, "", g);
    if (g != "null" && r != "null") printf "parallel jobs %.0f%% of a token; the weights stream at %.1f GB/s within them: %.0f%% of the read\n", 100 * s, g, 100 * g / r}'
  if $llamacpp; then
    before=$(stream)
    theirs=$(node bench/llamacpp/bench.mjs "$m" --threads "$(nproc)" --prompt "$prompt" --gen 32)
    after=$(stream)
    echo "$theirs"
    node -e 'const [p, l] = process.argv.slice(1, 3).map(JSON.parse), gbps = l.generation_tokens_per_s * p.weight_bytes / 1e9;
      const read = (Number(process.argv[3]) + Number(process.argv[4])) / 2;
      console.log(`memory read ${(read / 1e9).toFixed(1)} GB/s around llama.cpp; it streams ${gbps.toFixed(1)} GB/s of weights: ${(100 * gbps * 1e9 / read).toFixed(0)}%`);
      console.log(`pocket / llama.cpp: prompt ${(p.prompt_tokens_per_s / l.prompt_tokens_per_s).toFixed(2)}, generation ${(p.generation_tokens_per_s / l.generation_tokens_per_s).toFixed(2)}`)' "$ours" "$theirs" "$before" "$after"
  fi
done
