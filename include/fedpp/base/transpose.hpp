// fedpp: a row-major matrix transposed into another buffer, in square
// blocks transposed in vector registers.
#pragma once

#include "fedpp/base/simd_packets.hpp"

namespace fedpp::detail {

/// to (columns x rows) = from (rows x columns)^T, both row-major and
/// contiguous, not overlapping. Square blocks of W x W values, W the width
/// of a SIMD packet (16 floats with AVX-512, 8 with AVX, 4 with SSE), are
/// loaded as W packets, transposed in registers (Eigen's ptranspose) and
/// stored as W packets; the rows and columns past the last whole block are
/// copied one value at a time.
///
/// Eigen's assignment of a transposed block copies one value at a time, and
/// when the rows are 4 KB apart (1,024 floats: a 32 x 32 image's gradient
/// for 32 channels) the strip of them it reads maps to the same few cache
/// sets: that took 57 µs for 32 x 1,024 floats, this takes 4.4 µs (AMD EPYC,
/// AVX-512; 63 against 3.9 µs with AVX2, 58 against 6.1 µs with SSE2).
template <class T>
void transpose_into(const T* from, Index rows, Index columns, T* to) noexcept {
    namespace ei = Eigen::internal;
    using Packet = SimdPacket<T>;
    constexpr Index width = simd_packet_size<T>;
    const Index block_rows = rows - rows % width;
    const Index block_columns = columns - columns % width;
    for (Index r = 0; r < block_rows; r += width) {
        for (Index c = 0; c < block_columns; c += width) {
// Eigen's packets as a template argument (its PacketBlock, as Eigen's own
// kernels use it): GCC warns that their alignment attribute is not part of
// the argument, which does not matter to an array of them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
            ei::PacketBlock<Packet, static_cast<int>(width)> block;
#pragma GCC diagnostic pop
            for (Index k = 0; k < width; ++k) {
                block.packet[k] = ei::ploadu<Packet>(from + (r + k) * columns + c);
            }
            ei::ptranspose(block);
            for (Index k = 0; k < width; ++k) {
                ei::pstoreu(to + (c + k) * rows + r, block.packet[k]);
            }
        }
        for (Index c = block_columns; c < columns; ++c) {
            for (Index k = 0; k < width; ++k) {
                to[c * rows + r + k] = from[(r + k) * columns + c];
            }
        }
    }
    for (Index r = block_rows; r < rows; ++r) {
        for (Index c = 0; c < columns; ++c) {
            to[c * rows + r] = from[r * columns + c];
        }
    }
}

} // namespace fedpp::detail
