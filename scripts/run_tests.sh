#!/usr/bin/env bash
# Builds and runs every test: unit tests (Catch2), compile-time rule pairs,
# and the packaging (consumer) tests.
#
#     bash scripts/run_tests.sh              # all tests
#     bash scripts/run_tests.sh --sanitize   # the unit tests under ASan + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dependencies.sh
# zlib1g-dev: the data set loaders (fedpp::datasets) and their tests.
require_debian_packages cmake g++ make libeigen3-dev catch2 zlib1g-dev

if [ "${1:-}" = "--sanitize" ]; then
    cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFEDPP_BUILD_TESTS=ON \
          -DFEDPP_SANITIZERS=address,undefined >/dev/null
    cmake --build build-sanitize -j "$(build_jobs)"
    # Compile-time and packaging tests run no code of ours; the plain run has them.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ctest --test-dir build-sanitize --output-on-failure -j "$(build_jobs)" -E '^(compile_fail|consumer)\.'
else
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_TESTS=ON -DFEDPP_BUILD_EXAMPLES=ON >/dev/null
    cmake --build build -j "$(build_jobs)"
    ctest --test-dir build --output-on-failure -j "$(build_jobs)"
fi
