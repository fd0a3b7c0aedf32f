// libFuzzer target: the byte codecs that decode values arriving at a worker
// (fedpp::from_bytes). The first byte picks the type; the rest is the input.
// The checksum of a checkpoint does not protect these bytes, so the decoders
// themselves must reject anything malformed with a fedpp::Error. Each input
// is decoded whole and in chunks (as a party decodes a value from its
// stream; the first byte also sets the chunk size), which must agree.
#include "invariants.hpp"

#include <fedpp/fedpp.hpp>

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <optional>
#include <span>
#include <string>

namespace {

[[noreturn]] void finding() { __builtin_trap(); }

/// Decodes a T from `bytes` whole, and again in chunks of `chunk` bytes as a
/// party decodes a value from its stream: both must give the same value, or
/// the same error; `check` vets the value.
template <class T, class Check>
void decode_both_ways(std::span<const std::byte> bytes, std::size_t chunk, const Check& check) {
    std::optional<T> whole;
    std::string whole_error;
    try {
        whole.emplace(fedpp::from_bytes<T>(bytes, "fuzz"));
    } catch (const fedpp::Error& e) {
        whole_error = e.what();
    }
    std::size_t at = 0;
    const auto next = [&](std::span<const std::byte>& piece) {
        if (at == bytes.size()) {
            return false;
        }
        piece = bytes.subspan(at, std::min(chunk, bytes.size() - at));
        at += piece.size();
        return true;
    };
    const auto what = [] { return std::string("fuzz"); };
    std::optional<T> chunked;
    std::string chunked_error;
    try {
        fedpp::ByteReader in(bytes.size(), next, what);
        chunked.emplace(fedpp::detail::read_tagged_value<T>(in));
    } catch (const fedpp::Error& e) {
        chunked_error = e.what();
    }
    if (whole.has_value() != chunked.has_value() || whole_error != chunked_error) {
        finding();
    }
    if (whole) {
        check(*whole);
        if (fedpp::to_bytes(*whole) != fedpp::to_bytes(*chunked)) {
            finding();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const auto bytes = std::as_bytes(std::span(data + 1, size - 1));
    const std::size_t chunk = data[0] / 7 + 1; // 1 to 37 bytes
    // What decodes must be a valid value: shapes that are sizes (a forged
    // size once decoded into negative rows()).
    const auto model = [](const auto& m) { fuzzing::require_valid_model(m); };
    switch (data[0] % 7) {
    case 0:
        decode_both_ways<fedpp::Tensor<float>>(bytes, chunk, [](const auto& t) { fuzzing::require_valid(t); });
        break;
    case 1: decode_both_ways<fedpp::nn::Linear<float>>(bytes, chunk, model); break;
    case 2: decode_both_ways<fedpp::nn::Sequential<double>>(bytes, chunk, model); break;
    case 3:
        decode_both_ways<fedpp::data::Dataset<float>>(bytes, chunk,
                                                      [](const auto& d) { fuzzing::require_valid(d.features()); });
        break;
    case 4:
        decode_both_ways<fedpp::WeightedSum<fedpp::nn::Sequential<float>>>(
            bytes, chunk, [](const auto& w) { fuzzing::require_valid_model(w.sum()); });
        break;
    case 5:
        decode_both_ways<fedpp::Masked<fedpp::nn::Linear<float>>>(bytes, chunk,
                                                                  [](const auto& m) { (void)m.words(); });
        break;
    default: decode_both_ways<fedpp::ProtocolMessage>(bytes, chunk, [](const auto& m) { (void)m.bytes(); }); break;
    }
    return 0;
}
