#!/usr/bin/env bash
# Install everything llb needs on Debian 12 / Python 3.11, idempotently:
# clang-16 (the fast compiler for Stan models; g++ is the fallback) and llb with its Python dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v clang++-16 >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing clang-16 with apt-get"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq || echo "setup: apt-get update failed; trying the install anyway"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-16 >/dev/null \
        || echo "setup: clang-16 could not be installed; llb will use g++ (slower compiles)"
fi

echo "setup: installing llb and its Python dependencies"
python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"
echo "setup: building the Stan toolchain cache (once per machine)"
python3 -m llb toolchain --build
