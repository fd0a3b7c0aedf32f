// fedpp: the kernel behind fedavg: one parameter's weighted average over
// many models, summed block by block, the blocking chosen by measuring it on
// the machine it runs on.
//
// Adding whole models one after another reads and writes the sum once per
// model. Summing a block at a time instead keeps the block of the sum in a
// cache while the same block of every model streams past it, so memory sees
// each input once and the result once. Which block is fastest depends on
// the CPU's caches and prefetchers: 512-element blocks that stay in L1, the
// next model's block prefetched by software, ran at 90% of STREAM triad on
// an Intel Sapphire Rapids and at 45% on an AMD EPYC, where summing whole
// models was faster. So there are two blockings (both adding 4 models per
// pass over the block), the first parameter large enough is summed with
// both, alternately, timed, and the faster one is used from then on
// (benchmarks/NOTES.md, section 5). Both add the same values in the same
// order with the same instructions (see blockings_agree), so they give
// bitwise the same average.
#pragma once

#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/base/compiled.hpp"
#include "fedpp/base/cache_sizes.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fedpp::detail {

/// How a parameter is summed over the models.
enum class SumBlocking : int {
    level1_prefetched = 0, ///< 512-element blocks, the next models' blocks prefetched
    level2 = 1,            ///< blocks of a quarter of the L2 cache, no software prefetch
};

inline constexpr Index level1_block_elements = 512;

/// A quarter of the L2 cache the machine reports (the rest holds the model
/// blocks passing through), 256 KiB if it reports none, within
/// [32 KiB, 1 MiB]; whole cache lines of any vector width.
template <class T>
Index level2_block_elements() noexcept {
    static const Index elements = [] {
        constexpr std::size_t fallback = std::size_t{256} << 10;
        const std::size_t level2 = level2_cache_bytes();
        const std::size_t bytes =
            std::clamp(level2 > 0 ? level2 / 4 : fallback, std::size_t{32} << 10, std::size_t{1} << 20);
        return static_cast<Index>(bytes / sizeof(T) / 64 * 64);
    }();
    return elements;
}

/// Asks the cache for `count` values from `first`, ahead of their use.
template <class T>
void prefetch(const T* first, Index count) noexcept {
#if defined(__GNUC__)
    constexpr Index line = 64 / sizeof(T);
    for (Index i = 0; i < count; i += line) {
        __builtin_prefetch(first + i);
    }
#else
    (void)first;
    (void)count;
#endif
}

/// One parameter's weighted average over the models: `sum` holds model 0's
/// values and receives the average; params[i][k] is model i's parameter k.
template <class T>
struct ParameterSum {
    T* sum;
    const std::vector<std::vector<Tensor<T>>>* params;
    std::size_t k;
    std::span<const double> weights; ///< empty: all 1
    double total;
};

/// Models added to a block of the sum in one pass over it: the sum's block
/// is read and written once per 4 models instead of once per model. On an
/// AMD EPYC (Zen 4) one model per pass held fedavg at 56-62% of STREAM
/// triad, bound by the block's loads and stores, and 4 per pass ran at
/// 85-91% (benchmarks/NOTES.md, section 5).
inline constexpr std::size_t models_per_pass = 4;

/// sum[begin, end) = sum_i w_i params[i][k][begin, end) / total, in blocks
/// of `blocking`, models_per_pass models at a time (pairwise: (a + b) +
/// (c + d)), the models left over one at a time. Returns whether the
/// result is finite.
template <class T>
bool sum_range(const ParameterSum<T>& p, Index begin, Index end, SumBlocking blocking) {
    using Block = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
    using InputBlock = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
    const std::vector<std::vector<Tensor<T>>>& params = *p.params;
    const std::size_t models = params.size();
    const bool weighted = !p.weights.empty();
    const bool prefetched = blocking == SumBlocking::level1_prefetched;
    const Index step = prefetched ? level1_block_elements : level2_block_elements<T>();
    bool finite = true;
    for (Index at = begin; at < end; at += step) {
        Block block(p.sum + at, std::min(step, end - at));
        const auto input = [&](std::size_t i) {
            return InputBlock(params[i][p.k].value().data() + at, block.size());
        };
        const auto weight = [&](std::size_t i) { return static_cast<T>(p.weights[i]); };
        if (weighted) {
            block *= weight(0);
        }
        // The level-1 blocking asks for the models of the next pass (or the
        // next model left over) while it adds those of this one.
        const auto prefetch_models = [&](std::size_t from, std::size_t count) {
            for (std::size_t next = from; prefetched && next < std::min(models, from + count); ++next) {
                prefetch(params[next][p.k].value().data() + at, block.size());
            }
        };
        std::size_t i = 1;
        for (; i + models_per_pass <= models; i += models_per_pass) {
            prefetch_models(i + models_per_pass, models_per_pass);
            if (weighted) {
                block += (weight(i) * input(i) + weight(i + 1) * input(i + 1)) +
                         (weight(i + 2) * input(i + 2) + weight(i + 3) * input(i + 3));
            } else {
                block += (input(i) + input(i + 1)) + (input(i + 2) + input(i + 3));
            }
        }
        for (; i < models; ++i) {
            prefetch_models(i + 1, 1);
            if (weighted) {
                block += weight(i) * input(i);
            } else {
                block += input(i);
            }
        }
        block /= static_cast<T>(p.total);
        finite = finite && all_finite(block.data(), block.size());
    }
    return finite;
}

/// Whether the two blockings compute every element of a sum starting at
/// `sum` with the same instructions, hence bitwise alike: Eigen's loops take
/// scalar steps only until the destination reaches a SIMD packet's boundary
/// and in a block's last partial packet, so when `sum` is on a packet
/// boundary and every block but a parameter's last is a whole number of
/// packets (512 and the level-2 size are multiples of 64 elements), the
/// scalar steps are the same elements in both. fedpp's parameters are
/// allocated by Eigen, on such a boundary; a sum that is not is always
/// taken in 512-element blocks.
template <class T>
bool blockings_agree(const T* sum) noexcept {
    constexpr std::size_t packet_bytes = sizeof(T) * Eigen::internal::packet_traits<T>::size;
    static_assert(level1_block_elements % 64 == 0 && 64 % Eigen::internal::packet_traits<T>::size == 0);
    return reinterpret_cast<std::uintptr_t>(sum) % packet_bytes == 0;
}

/// The blocking this process sums with: -1 until measured, then a
/// SumBlocking. One per scalar type.
template <class T>
std::atomic<int>& measured_blocking() noexcept {
    static std::atomic<int> blocking{-1};
    return blocking;
}

/// The first parameter of at least 4 level-2 blocks, over at least 8
/// models, measures the two blockings on its first 4 level-2 blocks (in the
/// order level 1, level 2, level 2, level 1, so that neither gains from
/// going first); its average is computed all the same, nothing twice. Until
/// then the level-2 blocking is used. Returns whether the result is finite.
template <class T>
bool average_parameter(const ParameterSum<T>& p, Index size) {
    if (!blockings_agree(p.sum)) {
        return sum_range(p, 0, size, SumBlocking::level1_prefetched);
    }
    const Index span = level2_block_elements<T>();
    int chosen = measured_blocking<T>().load(std::memory_order_relaxed);
    Index begin = 0;
    bool finite = true;
    if (chosen < 0 && size >= 4 * span && p.params->size() >= 8) {
        using Clock = std::chrono::steady_clock;
        Clock::duration spent[2] = {};
        for (const SumBlocking blocking : {SumBlocking::level1_prefetched, SumBlocking::level2, SumBlocking::level2,
                                           SumBlocking::level1_prefetched}) {
            const auto start = Clock::now();
            finite = sum_range(p, begin, begin + span, blocking) && finite;
            spent[static_cast<int>(blocking)] += Clock::now() - start;
            begin += span;
        }
        chosen = static_cast<int>(spent[1] <= spent[0] ? SumBlocking::level2 : SumBlocking::level1_prefetched);
        measured_blocking<T>().store(chosen, std::memory_order_relaxed);
    }
    const auto blocking = chosen < 0 ? SumBlocking::level2 : static_cast<SumBlocking>(chosen);
    return sum_range(p, begin, size, blocking) && finite;
}

} // namespace fedpp::detail

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
#define FEDPP_BLOCKED_SUM_FUNCTIONS(X, T)                                                                       \
    X(bool fedpp::detail::average_parameter<T>(const fedpp::detail::ParameterSum<T>&, fedpp::Index))
FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE(FEDPP_BLOCKED_SUM_FUNCTIONS);
