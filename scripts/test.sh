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
