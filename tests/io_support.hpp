// Helpers for the weights-file tests (test_io_formats.cpp,
// test_io_*_malformed.cpp, test_io_pytorch.cpp): small models, bitwise
// comparison of parameters, and little-endian patching of file bytes.
#pragma once

#include <fedpp/fedpp.hpp>
#include <fedpp/io/weights.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace io_test {

template <class T>
using Sequential = fedpp::nn::Sequential<T>;

/// Linear(3, 4), ReLU, Linear(4, 2): the fixtures' architecture.
template <class T = float>
Sequential<T> small_model(std::uint64_t seed) {
    fedpp::Generator generator(seed);
    return Sequential<T>(fedpp::nn::Linear<T>(3, 4, generator), fedpp::nn::ReLU{},
                         fedpp::nn::Linear<T>(4, 2, generator));
}

/// Whether every parameter of `a` and `b` has the same shape and the same
/// bits (NaNs and signed zeros included).
template <class M>
bool bitwise_equal(const M& a, const M& b) {
    const auto pa = a.parameters();
    const auto pb = b.parameters();
    if (pa.size() != pb.size()) {
        return false;
    }
    for (std::size_t i = 0; i < pa.size(); ++i) {
        if (pa[i].rows() != pb[i].rows() || pa[i].cols() != pb[i].cols() ||
            std::memcmp(pa[i].value().data(), pb[i].value().data(),
                        static_cast<std::size_t>(pa[i].size()) * sizeof(typename M::scalar_type)) != 0) {
            return false;
        }
    }
    return true;
}

inline fedpp::Bytes bytes_of(std::string_view text) {
    const auto view = std::as_bytes(std::span(text.data(), text.size()));
    return fedpp::Bytes(view.begin(), view.end());
}

inline std::string text_of(const fedpp::Bytes& bytes, std::size_t at, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(bytes.data()) + at, size);
}

/// The little-endian unsigned integer of `width` bytes at `at`.
inline std::uint64_t get_le(const fedpp::Bytes& bytes, std::size_t at, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
        value |= std::to_integer<std::uint64_t>(bytes.at(at + i)) << (8 * i);
    }
    return value;
}

/// Writes `value` as `width` little-endian bytes at `at`.
inline void put_le(fedpp::Bytes& bytes, std::size_t at, std::size_t width, std::uint64_t value) {
    for (std::size_t i = 0; i < width; ++i) {
        bytes.at(at + i) = static_cast<std::byte>((value >> (8 * i)) & 0xFF);
    }
}

/// A safetensors file with header `json` (not padded) and `data`.
inline fedpp::Bytes safetensors_file(std::string_view json, const fedpp::Bytes& data) {
    fedpp::Bytes file(8);
    put_le(file, 0, 8, json.size());
    const auto text = bytes_of(json);
    file.insert(file.end(), text.begin(), text.end());
    file.insert(file.end(), data.begin(), data.end());
    return file;
}

} // namespace io_test
