#!/usr/bin/env bash
# Builds and runs every test: unit tests (Catch2), compile-time rule pairs,
# and the packaging (consumer) tests.
#
#     bash scripts/run_tests.sh              # all tests
#     bash scripts/run_tests.sh --sanitize   # the unit tests under ASan + UBSan
#     bash scripts/run_tests.sh --tsan       # the multi-threaded tests under ThreadSanitizer
#     bash scripts/run_tests.sh --blas       # the unit tests with FEDPP_USE_BLAS=ON (OpenBLAS)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dependencies.sh
# zlib1g-dev: gzip data sets and checkpoint checksums. nlohmann-json3-dev:
# fedpp::formats (safetensors headers). libssl-dev: OpenSSL 3 for secure
# aggregation (fedpp::secure_aggregation). python3-clang-14: the header-limit
# check (tests/layout). python3-torch, python3-numpy: the PyTorch round-trip
# test (reported as skipped without them).
require_debian_packages cmake g++ make libeigen3-dev catch2 zlib1g-dev nlohmann-json3-dev libssl-dev python3 \
                        python3-clang-14 python3-torch python3-numpy

if [ "${1:-}" = "--sanitize" ]; then
    cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFEDPP_BUILD_TESTS=ON \
          -DFEDPP_SANITIZERS=address,undefined >/dev/null
    cmake --build build-sanitize -j "$(build_jobs)"
    # Compile-time and packaging tests run no code of ours; the plain run has them.
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ctest --test-dir build-sanitize --output-on-failure -j "$(build_jobs)" -E '^(compile_fail|consumer)\.'
elif [ "${1:-}" = "--blas" ]; then
    require_debian_packages libopenblas-dev
    cmake -S . -B build-blas -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_TESTS=ON -DFEDPP_USE_BLAS=ON >/dev/null
    cmake --build build-blas -j "$(build_jobs)" --target fedpp_tests
    # One OpenBLAS thread: the tests that start threads start their own.
    OPENBLAS_NUM_THREADS=1 ./build-blas/tests/fedpp_tests
elif [ "${1:-}" = "--tsan" ]; then
    cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFEDPP_BUILD_TESTS=ON \
          -DFEDPP_SANITIZERS=thread >/dev/null
    cmake --build build-tsan -j "$(build_jobs)" --target fedpp_tests
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
    # Every test that starts threads is tagged [threads] or [federated].
    ./build-tsan/tests/fedpp_tests "[threads],[federated]"
else
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_TESTS=ON -DFEDPP_BUILD_EXAMPLES=ON >/dev/null
    cmake --build build -j "$(build_jobs)"
    ctest --test-dir build --output-on-failure -j "$(build_jobs)"
fi
