#!/usr/bin/env bash
# Runs the CUDA backend's tests on a machine with a GPU but no JDK or Maven (the lent H200).
#   Here (with JDK 25 and Maven):  cuda-backend/gpu-check.sh prepare   -> cuda-backend/target/gpu-check (about 57 MB:
#                                  a jlink runtime, the module's classes and test classes, every jar they need)
#   On the GPU machine (run tool, carry ["cuda-backend/target/gpu-check"]):  cuda-backend/gpu-check.sh run
#                                  -> the JUnit tree and summary on stdout and in $OUT/tests.txt (or ./gpu-check-out),
#                                  nvidia-smi in $OUT/nvidia-smi.txt
# JCuda's in-process PTX compiler (8 MB) is left out to fit the transfer limit; PtxAssemblesTest then uses ptxas.
# prepare copies pocket-api and pocket-cpu-backend from ~/.m2: install them from the same tree first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$here/target/gpu-check"

prepare() {
  export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  rm -rf "$dir" && mkdir -p "$dir/lib"
  (cd "$here/.." && mvn -q -pl cuda-backend test-compile dependency:copy-dependencies \
      -DincludeScope=test -DoutputDirectory="$dir/lib" \
    && mvn -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:6.1.3 -DoutputDirectory="$dir/lib")
  zip -q -d "$dir"/lib/jcuda-natives-*.jar 'lib/libJNvPTXCompiler*'
  cp -r "$here/target/classes" "$dir/classes"
  cp -r "$here/target/test-classes" "$dir/test-classes"
  "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,jdk.unsupported,java.logging \
    --compress=zip-9 --strip-debug --no-header-files --no-man-pages --output "$dir/jre"
  du -sh "$dir"
}

run() {
  local out="${OUT:-$PWD/gpu-check-out}"
  mkdir -p "$out"
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || echo "nvidia-smi failed" >> "$out/nvidia-smi.txt"
  # JavaCPP finds libcublas.so.13 / libcudart.so.13 on the loader path; PtxAssemblesTest finds ptxas on PATH
  export LD_LIBRARY_PATH="/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
  export PATH="/usr/local/cuda/bin:$PATH"
  local root; root="$(cd "$here/.." && pwd)"
  "$dir/jre/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dpocket.root="$root" \
    -jar "$dir"/lib/junit-platform-console-standalone-*.jar execute \
    --class-path "$dir/classes:$dir/test-classes:$(ls "$dir"/lib/*.jar | grep -v console-standalone | tr '\n' ':')" \
    --select-package dev.pocketlm.cuda --details=tree --disable-ansi-colors 2>&1 | tee "$out/tests.txt"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: $0 prepare|run" >&2; exit 2 ;;
esac
