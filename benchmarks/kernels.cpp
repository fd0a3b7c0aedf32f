// Reference kernels measured in the same run as the workloads, so that the
// GEMM workloads' GFLOP/s and FedAvg's GB/s can be read against what this
// core and this memory deliver at best:
//
//   fma_peak      single-core floating-point peak: independent chains of
//                 vector FMAs held in registers, nothing else in the loop;
//   stream_triad  a[i] = b[i] + s * c[i] over arrays far larger than the
//                 last-level cache (STREAM's triad, counted as STREAM does:
//                 3 arrays x 4 bytes per element, write-allocate not counted).
#include "kernels.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace bench {

namespace {

// The widest vectors the compiler targets (-march=native on this machine).
// GCC's vector extensions are plain arithmetic on fixed-width values: the
// compiler emits the FMA instructions and keeps the accumulators in
// registers; no intrinsics or assembly.
#if defined(__AVX512F__)
constexpr int vector_bytes = 64;
#elif defined(__AVX__)
constexpr int vector_bytes = 32;
#else
constexpr int vector_bytes = 16;
#endif
using FloatVector = float __attribute__((vector_size(vector_bytes)));
constexpr int lanes = vector_bytes / static_cast<int>(sizeof(float));

// Independent accumulators: more than FMA latency x FMA ports (4 x 2 on
// current x86 cores), so both FMA units stay busy, and few enough, with x
// and y, to stay in 16 vector registers (AVX2 has 16, AVX-512 32).
constexpr int chains = 12;

[[gnu::noinline]] float fma_chains(std::int64_t iterations, float x, float y) {
    FloatVector accumulators[chains];
    const FloatVector vx = x - FloatVector{};
    const FloatVector vy = y - FloatVector{};
    for (int c = 0; c < chains; ++c) {
        accumulators[c] = FloatVector{} + static_cast<float>(c);
    }
    for (std::int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 32
        for (int c = 0; c < chains; ++c) {
            accumulators[c] = accumulators[c] * vx + vy; // one FMA (-ffp-contract=fast)
        }
    }
    FloatVector total{};
    for (int c = 0; c < chains; ++c) {
        total += accumulators[c];
    }
    float sum = 0;
    for (int l = 0; l < lanes; ++l) {
        sum += total[l];
    }
    return sum;
}

void fma_peak(benchmark::State& state) {
    constexpr std::int64_t iterations = 1 << 20;
    // x < 1 and y small keep the accumulators finite and normal.
    float x = 0.999f;
    float y = 0.001f;
    for (auto _ : state) {
        benchmark::DoNotOptimize(x);
        benchmark::DoNotOptimize(y);
        benchmark::DoNotOptimize(fma_chains(iterations, x, y));
    }
    state.counters["FLOPS"] = benchmark::Counter(2.0 * chains * lanes * static_cast<double>(iterations),
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
    state.counters["vector_bits"] = vector_bytes * 8;
}

[[gnu::noinline]] void triad(float* a, const float* b, const float* c, float scalar, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        a[i] = b[i] + scalar * c[i];
    }
}

void stream_triad(benchmark::State& state) {
    // 3 x 128 MiB: beyond any current last-level cache.
    constexpr std::size_t count = std::size_t{1} << 25;
    std::vector<float> a(count, 0.0f);
    std::vector<float> b(count, 1.0f);
    std::vector<float> c(count, 2.0f);
    float scalar = 3.0f;
    for (auto _ : state) {
        benchmark::DoNotOptimize(scalar);
        triad(a.data(), b.data(), c.data(), scalar, count);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(3 * count * sizeof(float)));
}

} // namespace

void register_fma_peak() {
    benchmark::RegisterBenchmark("fma_peak", fma_peak)->Unit(benchmark::kMillisecond)->UseRealTime();
}

void register_stream_triad() {
    benchmark::RegisterBenchmark("stream_triad", stream_triad)->Unit(benchmark::kMillisecond)->UseRealTime();
}

} // namespace bench
