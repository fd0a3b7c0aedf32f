// fedpp: what fedpp's own vector kernels (base/skinny_product.hpp,
// tensor/ops/direct_convolution.hpp) know of the ISA Eigen vectorises for
// and of the machine's caches: Eigen 3.4's packet type and width for a
// scalar, whether those packets are wide and fuse multiply-adds, how many
// vector registers a tile may fill, and the level-2 cache blocks are sized
// for. All from the compiler's target and the caches the machine reports,
// none tuned on one CPU.
#pragma once

#include "fedpp/base/cache_sizes.hpp"
#include "fedpp/base/matrix.hpp"

#include <cstddef>

namespace fedpp::detail {

/// Eigen's packet (one vector register's worth) of T, and how many T it holds.
template <class T>
using SimdPacket = typename Eigen::internal::packet_traits<T>::type;
template <class T>
inline constexpr Index simd_packet_size = Eigen::internal::packet_traits<T>::size;

/// Whether Eigen's packets for T are at least 256 bits (AVX and wider):
/// narrower ones (SSE2, the x86-64 baseline) lose to a BLAS that picks its
/// kernel for the CPU it runs on.
template <class T>
inline constexpr bool wide_packets =
    Eigen::internal::packet_traits<T>::Vectorizable && Eigen::internal::packet_traits<T>::size * sizeof(T) >= 32;

/// Whether Eigen's ISA has fused multiply-adds (else each pmadd is two instructions).
#ifdef EIGEN_VECTORIZE_FMA
inline constexpr bool simd_fused_multiply_add = true;
#else
inline constexpr bool simd_fused_multiply_add = false;
#endif

/// The vector registers the ISA has: 32 with AVX-512 and NEON on AArch64, 16 with SSE and AVX.
inline constexpr int simd_registers = EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS;

/// The level-2 cache the kernels size their blocks for: the one the machine
/// reports, or 1 MiB where it reports none (or less than 128 KiB, which no
/// level-2 cache of a machine with wide vectors is).
inline std::size_t kernel_level2_bytes() noexcept {
    const std::size_t level2 = level2_cache_bytes();
    return level2 >= (std::size_t{128} << 10) ? level2 : std::size_t{1} << 20;
}

} // namespace fedpp::detail
