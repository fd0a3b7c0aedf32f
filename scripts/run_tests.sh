#!/usr/bin/env bash
# Builds and runs every test: unit tests (Catch2), compile-time rule pairs,
# and the packaging (consumer) tests.
#
#     bash scripts/run_tests.sh              # all tests
#     bash scripts/run_tests.sh --sanitize   # the unit tests under ASan + UBSan (clang)
#     bash scripts/run_tests.sh --tsan       # the multi-threaded tests under ThreadSanitizer (clang)
#
# The plain run builds as a user's default build does where OpenBLAS is
# installed (large matrix products by OpenBLAS; FEDPP_USE_BLAS=ON, which it
# installs) and links fedpp::compiled, compiled by GCC; the ASan + UBSan run
# keeps every product on Eigen (FEDPP_USE_BLAS=OFF), and the ThreadSanitizer
# run builds header-only (FEDPP_COMPILED_LIBRARY=OFF), both compiled by
# clang: each way, and each compiler, is compiled (warnings as errors) and
# tested.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dependencies.sh
# zlib1g-dev: gzip data sets and checkpoint checksums. nlohmann-json3-dev:
# fedpp::formats (safetensors headers). libssl-dev: OpenSSL 3 for secure
# aggregation (fedpp::secure_aggregation). python3-clang-14: the header-limit
# check (tests/layout). python3-torch, python3-numpy: the PyTorch round-trip
# test (reported as skipped without them). libgrpc++-dev, protobuf-compiler-grpc,
# libprotobuf-dev, protobuf-compiler, openssl: fedpp::grpc and its network
# tests (openssl's command line makes their certificates).
require_debian_packages cmake g++ make libeigen3-dev catch2 zlib1g-dev nlohmann-json3-dev libssl-dev python3 \
                        python3-clang-14 python3-torch python3-numpy \
                        libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler openssl

# The sanitizer builds: -O1 (their documentation asks for -O1 or higher)
# and line tables only (-g1: every report still names file and line). Against
# -O2 -g they compile in half the time, which is most of these stages' time.
# Both are compiled by clang (see each run below for why), with its sanitizer
# runtimes (libclang-rt-14-dev) and llvm-symbolizer (llvm), which names file
# and line in their reports; each in a directory of its own: CMake, told
# another compiler for an existing build directory (build-sanitize and
# build-tsan were GCC's), deletes its cache and configures again without the
# options given here, sanitizers included.
sanitizer_packages=(clang libclang-rt-14-dev llvm)
sanitizer_build_flags=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
                       "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")

if [ "${1:-}" = "--sanitize" ]; then
    # Every product by Eigen (the plain run has OpenBLAS's). Clang compiles
    # these instrumented programs in about 0.7 of GCC 12's time (the unit
    # tests' second batch 197 s against 281 s, digits_fedavg 109 s against
    # 145 s; benchmarks/NOTES.md, section 7c), and this way builds every
    # program these tests run with its own warnings as errors; the plain run
    # is GCC's.
    require_debian_packages "${sanitizer_packages[@]}"
    cmake -S . -B build-sanitize-clang "${sanitizer_build_flags[@]}" -DFEDPP_BUILD_TESTS=ON \
          -DFEDPP_SANITIZERS=address,undefined -DFEDPP_USE_BLAS=OFF >/dev/null
    # Only the programs the tests below run: the unit tests, and the examples
    # that examples.bad_flags and examples.secure_model_averaging start
    # (tests/CMakeLists.txt lists them).
    cmake --build build-sanitize-clang -j "$(build_jobs)" --target fedpp_sanitized_programs
    # Compile-time, link-time, layout and packaging tests run no code of ours, the
    # networked examples and fault scripts run the same server and transport
    # code as network.tests, in processes of their own, and the tutorial
    # examples (examples.model_averaging, .federated_basic, .round_memory) run
    # code the unit tests run here: the plain run has them. A test whose
    # program was not built above fails as "Not Run".
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ctest --test-dir build-sanitize-clang --output-on-failure -j "$(build_jobs)" \
          -E '^(compile_fail|consumer)\.|^compiled_library\.(kernels|alignment|instruction_set)|^static\.rules$|^layout\.|^network\.(example_|faults)|^examples\.(model_averaging|federated_basic|round_memory)$'
elif [ "${1:-}" = "--tsan" ]; then
    # Eigen's products only: OpenBLAS's own threads are not built with TSan.
    # Header-only (no fedpp::compiled): the way the other runs do not build.
    # Clang compiles these programs in GCC 12's time, and its TSan runs them
    # faster (fedpp_threaded_tests 73 s alone, 100 s beside the network
    # tests, against 253 s for GCC's beside them; benchmarks/NOTES.md,
    # section 7c).
    require_debian_packages "${sanitizer_packages[@]}"
    cmake -S . -B build-tsan-clang "${sanitizer_build_flags[@]}" -DFEDPP_BUILD_TESTS=ON \
          -DFEDPP_SANITIZERS=thread -DFEDPP_GRPC=ON -DFEDPP_USE_BLAS=OFF -DFEDPP_COMPILED_LIBRARY=OFF >/dev/null
    # Only the test files with test cases that start threads (tagged [threads]
    # or [federated]; tests/CMakeLists.txt refuses to configure if a file not
    # listed among them has one): fedpp_threaded_tests, secure FedAvg's
    # (its clients train on threads too) fedpp_secure_threaded_tests, and
    # fedpp_network_tests; together fedpp_tsan_programs.
    cmake --build build-tsan-clang -j "$(build_jobs)" --target fedpp_tsan_programs
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
    # fedpp_threaded_tests runs in the background while the secure threaded
    # tests and then the network tests run in the foreground: the two cores
    # shared (fedpp_threaded_tests 73 s, the network tests 134 s one after
    # the other; 153 s side by side). Its output follows the network tests',
    # the run fails if either part does, and it is stopped if this script
    # ends before it.
    threaded_log=build-tsan-clang/threaded_tests.log
    ./build-tsan-clang/tests/fedpp_threaded_tests "[threads],[federated]" >"$threaded_log" 2>&1 &
    threaded_pid=$!
    trap 'kill "$threaded_pid" 2>/dev/null || true' EXIT
    status=0
    ./build-tsan-clang/tests/fedpp_secure_threaded_tests "[threads]" || status=$?
    # The party server and the transport: every network test, with the
    # certificates they need made first (the ctest fixtures). Debian's gRPC,
    # abseil and protobuf are not built with TSan, which cannot see their
    # synchronisation: it would report the copies and frees they make
    # through its interceptors (thousands of them, all in those libraries).
    # ignore_noninstrumented_modules ignores what is called from them; every
    # access of fedpp's own code, and of gRPC's header code compiled into
    # the test, is still checked. No suppression list.
    TSAN_OPTIONS="$TSAN_OPTIONS:ignore_noninstrumented_modules=1" \
        ctest --test-dir build-tsan-clang --output-on-failure -R '^network\.(certificates|rogue_certificates|tests)$' ||
        status=$?
    threaded_status=0
    wait "$threaded_pid" || threaded_status=$?
    trap - EXIT
    echo "--- fedpp_threaded_tests [threads],[federated] (exit status $threaded_status):"
    cat "$threaded_log"
    if [ "$status" -ne 0 ] || [ "$threaded_status" -ne 0 ]; then
        exit 1
    fi
else
    # libopenblas-dev: the default build's large matrix products
    # (FEDPP_USE_BLAS=AUTO takes OpenBLAS where it is installed). ON here:
    # a build that did not find it fails, instead of testing Eigen's
    # products while the tests of OpenBLAS's report themselves skipped.
    require_debian_packages libopenblas-dev
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_TESTS=ON -DFEDPP_BUILD_EXAMPLES=ON \
          -DFEDPP_USE_BLAS=ON >/dev/null
    build_start=$SECONDS
    cmake --build build -j "$(build_jobs)"
    # From a fresh clone, the full test build (issue 16's goal: under 2 minutes on 2 cores).
    echo "fedpp: tests and examples built in $((SECONDS - build_start)) s" >&2
    # Two tests at once, one per core: OpenBLAS on one thread in each, not
    # two threads spinning against the other test's (the test of fedpp's
    # own handling of OpenBLAS's threads sets their count itself).
    OPENBLAS_NUM_THREADS=1 ctest --test-dir build --output-on-failure -j "$(build_jobs)"
fi
