#!/usr/bin/env bash
# End-to-end CPU benchmark of README.md: TinyLlama-1.1B-shaped random models at Q4_0, Q8_0 and F16 through
# `pocket bench`, with this machine's streaming read bandwidth measured right before (JMH StreamReadBenchmark).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
backend="${1:-cpu}"
mkdir -p models
[ -f bench/target/benchmarks.jar ] || mvn -q -B -pl bench -am package -DskipTests
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar StreamReadBenchmark -wi 2 -w 1s -i 5 -r 1s 2>/dev/null | grep -E "^Benchmark|StreamRead.*:bytes"
for t in q4_0 q8_0 f16; do
  m=models/tinyllama-1.1b-$t.gguf
  [ -f "$m" ] || ./pocket init "$m" --shape tinyllama-1.1b --type $t --seed 1
  # A heap far smaller than the file: weights are mapped, never copied onto the Java heap.
  POCKET_JAVA_OPTS="-Xmx384m" ./pocket bench -m "$m" --backend "$backend" --prompt 64 --gen 32 --json
done
