#!/usr/bin/env bash
# Builds fedpp's libFuzzer targets with clang (ASan + UBSan) and runs each
# for a bounded time, starting from the committed seed corpus in
# fuzz/corpus/<target>. Fails on any crash, leak, sanitizer report or
# timeout. New inputs go to a scratch copy, not into the repository. The
# fuzzers run one per core at a time.
#
#     bash scripts/run_fuzzers.sh            # 60 s per target
#     bash scripts/run_fuzzers.sh 600        # 10 minutes per target
#     bash scripts/run_fuzzers.sh --make-seeds   # rewrite fuzz/corpus
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dependencies.sh
# libgrpc++-dev, protobuf-compiler-grpc, libprotobuf-dev, protobuf-compiler:
# fedpp::grpc, whose server fuzz_party_server fuzzes. llvm: llvm-symbolizer,
# which names file and line in a finding's stack.
require_debian_packages cmake make clang libclang-rt-14-dev llvm libeigen3-dev zlib1g-dev libssl-dev nlohmann-json3-dev \
                        libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler

# The decoders make no large matrix products: Eigen's kernel only, whatever
# BLAS the machine has (FEDPP_USE_BLAS=OFF). -O1, as libFuzzer's
# documentation builds its targets, with line tables only (-g1).
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DFEDPP_BUILD_FUZZERS=ON \
      -DFEDPP_BUILD_TESTS=OFF -DFEDPP_BUILD_EXAMPLES=OFF -DFEDPP_GRPC=ON -DFEDPP_USE_BLAS=OFF \
      -DFEDPP_COMPILED_LIBRARY=OFF >/dev/null
cmake --build build-fuzz -j "$(build_jobs)"

if [ "${1:-}" = "--make-seeds" ]; then
    rm -rf fuzz/corpus
    ./build-fuzz/fuzz/make_seeds fuzz/corpus
    FEDPP_FUZZ_WRITE_SEEDS=fuzz/corpus ./build-fuzz/fuzz/fuzz_party_server
    echo "fuzz/corpus rewritten"
    exit 0
fi

seconds="${1:-60}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
artifacts="build-fuzz/artifacts"
mkdir -p "$artifacts"
# One fuzzer per core at a time (each is one process), each for the full time.
fuzz() {
    local target="$1"
    mkdir -p "$scratch/$target"
    cp fuzz/corpus/"$target"/* "$scratch/$target/"
    ./build-fuzz/fuzz/"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/$target-" -print_final_stats=1 "$scratch/$target" 2>"$scratch/$target.log"
}
targets=($(ls fuzz/corpus))
jobs="$(build_jobs)"
for ((first = 0; first < ${#targets[@]}; first += jobs)); do
    batch=("${targets[@]:first:jobs}")
    pids=()
    for target in "${batch[@]}"; do
        echo "fuzzing $target for $seconds s"
        fuzz "$target" &
        pids+=($!)
    done
    for i in "${!batch[@]}"; do
        target="${batch[$i]}"
        if ! wait "${pids[$i]}"; then
            kill "${pids[@]}" 2>/dev/null || true
            tail -n 60 "$scratch/$target.log"
            echo "fuzzer $target found a problem; the failing input is in $artifacts/" >&2
            exit 1
        fi
        echo "$target:"
        grep -E "^stat::number_of_executed_units|^Done" "$scratch/$target.log" || true
    done
done
