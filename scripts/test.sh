#!/usr/bin/env bash
# The test command: installs what the tests need (OpenCL on PoCL), then builds every module and runs every test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if ! ldconfig -p | grep -q 'libOpenCL.so ' || ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
  echo "== installing OpenCL (PoCL) for the OpenCL backend tests"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq pocl-opencl-icd ocl-icd-opencl-dev >/dev/null
fi
cd "$root"
mvn -B -ntp verify "$@"
# The Vector API picks its species at run time: on an AVX-512 machine, check the CPU kernels at 8 lanes (AVX2) too.
if grep -qw avx512f /proc/cpuinfo; then
  echo "== CPU kernels again with 256-bit vectors (-XX:UseAVX=2), and whether their compiled forms box vectors"
  avx2="-Dpocket.jvm.flags=--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:UseAVX=2"
  mvn -B -ntp -q test -pl cpu-backend -am "$avx2" "$@"
  mvn -B -ntp -q test -pl cli -am -Dtest=KernelBoxingTest -Dsurefire.failIfNoSpecifiedTests=false "$avx2" "$@"
fi
