#!/usr/bin/env bash
# Instruction-level profile of one JIT-compiled method, without hardware counters (this VM exposes none): perf samples
# the cpu-clock timer while the JVM prints the method's machine code, and annotate.py lays the samples over it.
# usage: bench/profile/jit-profile.sh CLASS::METHOD OUT_PREFIX [java arguments...]
#   e.g. bench/profile/jit-profile.sh dev.pocketlm.cpu.PackedRows::dotQuantized /tmp/q4 --add-modules jdk.incubator.vector \
#        -cp bench/target/pocket-bench-0.1.0.jar dev.pocketlm.bench.ComputeMatvecs cli/target/pocket.jar Q4_0 14
# Samples for 6 s after WARM seconds (default 6); writes OUT_PREFIX.print (the code), .perf, .ips, .txt (annotated).
set -euo pipefail
method=$1 out=$2
shift 2
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
"$java" -XX:+UnlockDiagnosticVMOptions "-XX:CompileCommand=print,$method" "$@" > "$out.print" 2>&1 &
jvm=$!
sleep "${WARM:-6}"
perf record -e cpu-clock -F 4000 -p "$jvm" -o "$out.perf" > /dev/null 2>&1 &
recorder=$!
sleep 6
kill -INT "$recorder"
wait "$recorder" || true
wait "$jvm"
perf script -i "$out.perf" -F ip 2> /dev/null | sort | uniq -c | sort -rn > "$out.ips"
python3 "$(dirname "$0")/annotate.py" "$out.print" "$out.ips" > "$out.txt"
head -1 "$out.txt"
