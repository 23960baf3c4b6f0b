#!/bin/sh
# setup.sh — install what fasv needs on Debian 12 (as root, or with sudo).
# Idempotent: installs only what is missing. Packages:
#   build: gcc, cmake (>= 3.25), ninja
#   fuzzing: clang-14 + libclang-rt-14-dev (libFuzzer, sanitizers), afl++
#   AMD kernels: hipcc, libamdhip64-dev, rocm-device-libs (compile-only on hosts without a GPU)
#   tests: python3 + numpy (outside-tool checks of .npy output)
set -eu
PKGS="build-essential cmake ninja-build git clang-14 libclang-rt-14-dev afl++ hipcc libamdhip64-dev rocm-device-libs python3 python3-numpy zip unzip"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "setup: all packages present"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install:$missing" >&2; exit 2; }
    SUDO=sudo
fi
echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "setup: done"
