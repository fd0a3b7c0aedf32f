// libFuzzer target: the byte codecs that decode values arriving at a worker
// (fedpp::from_bytes). The first byte picks the type; the rest is the input.
// The checksum of a checkpoint does not protect these bytes, so the decoders
// themselves must reject anything malformed with a fedpp::Error.
#include "invariants.hpp"

#include <fedpp/fedpp.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const auto bytes = std::as_bytes(std::span(data + 1, size - 1));
    // What decodes must be a valid value: shapes that are sizes (a forged
    // size once decoded into negative rows()).
    try {
        switch (data[0] % 7) {
        case 0: fuzzing::require_valid(fedpp::from_bytes<fedpp::Tensor<float>>(bytes, "fuzz")); break;
        case 1: fuzzing::require_valid_model(fedpp::from_bytes<fedpp::nn::Linear<float>>(bytes, "fuzz")); break;
        case 2: fuzzing::require_valid_model(fedpp::from_bytes<fedpp::nn::Sequential<double>>(bytes, "fuzz")); break;
        case 3: fuzzing::require_valid(fedpp::from_bytes<fedpp::data::Dataset<float>>(bytes, "fuzz").features()); break;
        case 4:
            fuzzing::require_valid_model(
                fedpp::from_bytes<fedpp::WeightedSum<fedpp::nn::Sequential<float>>>(bytes, "fuzz").sum());
            break;
        case 5: (void)fedpp::from_bytes<fedpp::Masked<fedpp::nn::Linear<float>>>(bytes, "fuzz").words(); break;
        default: (void)fedpp::from_bytes<fedpp::ProtocolMessage>(bytes, "fuzz").bytes(); break;
        }
    } catch (const fedpp::Error&) {
    }
    return 0;
}
