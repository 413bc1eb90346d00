#!/usr/bin/env bash
# Install everything llb needs on Debian 12 / Python 3.11, idempotently:
# clang-16 (the fast compiler for Stan models; g++ is the fallback), Chromium (the test suite opens
# reports in it) and llb with its Python dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v clang++-16 >/dev/null 2>&1 || missing+=(clang-16)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} with apt-get"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq || echo "setup: apt-get update failed; trying the install anyway"
    for package in "${missing[@]}"; do
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null \
            || echo "setup: $package could not be installed (without clang-16 llb uses g++; without chromium the report test fails)"
    done
fi

echo "setup: installing llb and its Python dependencies"
python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"
echo "setup: building the Stan toolchain cache (once per machine)"
python3 -m llb toolchain --build
