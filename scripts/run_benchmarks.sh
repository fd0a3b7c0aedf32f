#!/usr/bin/env bash
# Builds fedpp's benchmarks with their libtorch twins, runs them, times the
# plain-PyTorch tutorial and the build of examples/model_averaging.cpp, runs
# workloads 9-12 (a million clients; fedpp over gRPC between processes on
# 127.0.0.1), and prints the ratio table (also written to build-bench/results/table.md).
#
#     bash scripts/run_benchmarks.sh
#     bash scripts/run_benchmarks.sh --benchmark_filter=tutorial   # extra Google Benchmark flags
#
# Run it on a quiet machine: every workload runs on one core, and other
# processes on that core show up in the times.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dependencies.sh
# nlohmann-json3-dev: fedpp::formats, which the top-level build requires (CMakeLists.txt).
require_debian_packages cmake g++ make libeigen3-dev libbenchmark-dev libtorch-dev libopenblas-dev \
                        python3 python3-torch hyperfine zlib1g-dev nlohmann-json3-dev libssl-dev openssl \
                        libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler

build=build-bench
results="$build/results"
mkdir -p "$results"

# The default build where OpenBLAS is installed (as it is here): its large
# matrix products by OpenBLAS (FEDPP_USE_BLAS=AUTO finds it; ON says so even
# in a build directory configured before).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_BENCHMARKS=ON -DFEDPP_BUILD_TESTS=OFF \
      -DFEDPP_BUILD_EXAMPLES=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DFEDPP_USE_BLAS=ON >/dev/null
cmake --build "$build" --target fedpp_benchmarks model_averaging fedpp_million_clients mnist_fedavg \
      fedpp_network_benchmarks networked_tutorial networked_mnist -j "$(build_jobs)"

# One thread everywhere. The benchmark binary also sets libtorch's and
# OpenBLAS's thread counts itself; these cover OpenMP and BLAS libraries
# that read only the environment, and the Python process.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# OpenBLAS picks its kernels from the CPU it finds, as it does for any
# libtorch user; an OPENBLAS_CORETYPE left in the environment (some machines
# pin it to Haswell, i.e. AVX2) would hold libtorch below its best here.
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    echo "fedpp: ignoring OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE so that OpenBLAS detects this CPU" >&2
    unset OPENBLAS_CORETYPE
fi

# Repetitions give a median per benchmark, which the table reports.
"$build/benchmarks/fedpp_benchmarks" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$results/benchmarks.json" --benchmark_out_format=json "$@"

# The SGD-step workloads again with FEDPP_USE_BLAS=OFF (every matrix product
# by Eigen's kernel; the build above hands the large ones to OpenBLAS, the
# BLAS under libtorch here): a second build, its own libtorch twins, so its
# ratios are also within one run. Skipped when Google Benchmark flags were
# given (a filtered run wants only what it asked for).
eigen_only_results=()
if [ $# -eq 0 ]; then
    eigen_build=build-bench-eigen
    cmake -S . -B "$eigen_build" -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_BENCHMARKS=ON -DFEDPP_BUILD_TESTS=OFF \
          -DFEDPP_BUILD_EXAMPLES=OFF -DFEDPP_USE_BLAS=OFF >/dev/null
    cmake --build "$eigen_build" --target fedpp_benchmarks -j "$(build_jobs)"
    "$eigen_build/benchmarks/fedpp_benchmarks" --benchmark_filter='^(mlp_|mnist_|fma_peak)' \
        --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
        --benchmark_out="$results/benchmarks_eigen_only.json" --benchmark_out_format=json
    eigen_only_results=(--eigen-only-benchmarks "$results/benchmarks_eigen_only.json")
fi

/usr/bin/python3 benchmarks/pytorch_tutorial.py "$results/benchmarks.json" "$results/pytorch_tutorial.json"

# Workload 7: the compile of the example, with the exact command CMake uses
# (from compile_commands.json; the example links fedpp::compiled), timed by
# hyperfine after one warm-up that brings the headers into the page cache;
# beside it, the same command header-only (without FEDPP_COMPILED) and the
# compile of fedpp::compiled itself, which a build does once.
mapfile -t compile_commands < <(/usr/bin/python3 - "$build/compile_commands.json" <<'EOF'
import json, shlex, sys
entries = json.load(open(sys.argv[1]))
def command(suffix):
    for entry in entries:
        if entry["file"].endswith(suffix):
            return "cd " + shlex.quote(entry["directory"]) + " && " + entry["command"]
    sys.exit(suffix + " is not in compile_commands.json")
example = command("examples/model_averaging.cpp")
if " -DFEDPP_COMPILED " not in example:
    sys.exit("examples/model_averaging.cpp is not compiled with FEDPP_COMPILED (fedpp::compiled)")
print(example)
print(example.replace(" -DFEDPP_COMPILED ", " "))
print(command("src/compiled/float.cpp"))
print(command("src/compiled/double.cpp"))
EOF
)
[ "${#compile_commands[@]}" -eq 4 ] || { echo "fedpp: the compile commands of workload 7 were not found" >&2; exit 1; }
hyperfine --warmup 1 --runs 5 --style basic --export-json "$results/build_time.json" "${compile_commands[@]}"

# Workloads 9-12, each its own program (memory, processes), skipped when
# Google Benchmark flags were given: 9, set-up of a million clients and a
# round among them; 10 and 11, the tutorial over gRPC and moving models
# between processes (against bare gRPC and plain TCP); 12, an MNIST round
# with client processes against the same round in one process.
more_results=()
if [ $# -eq 0 ]; then
    "$build/benchmarks/fedpp_million_clients" --out "$results/million_clients.json"
    bash benchmarks/network.sh "$build" "$results"
    bash benchmarks/networked_mnist.sh "$build" "$results/networked_mnist.json"
    more_results=(--million-clients "$results/million_clients.json" --network "$results/network.json"
                  --network-pytorch "$results/network_pytorch_tutorial.json"
                  --networked-mnist "$results/networked_mnist.json")
fi

/usr/bin/python3 benchmarks/ratio_table.py --benchmarks "$results/benchmarks.json" \
    "${eigen_only_results[@]}" "${more_results[@]}" --pytorch "$results/pytorch_tutorial.json" --build-time "$results/build_time.json" | tee "$results/table.md"
