// libFuzzer target: the byte codecs that decode values arriving at a worker
// (fedpp::from_bytes). The first byte picks the type; the rest is the input.
// The checksum of a checkpoint does not protect these bytes, so the decoders
// themselves must reject anything malformed with a fedpp::Error.
#include <fedpp/fedpp.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const auto bytes = std::as_bytes(std::span(data + 1, size - 1));
    try {
        switch (data[0] % 5) {
        case 0: (void)fedpp::from_bytes<fedpp::Tensor<float>>(bytes, "fuzz"); break;
        case 1: (void)fedpp::from_bytes<fedpp::nn::Linear<float>>(bytes, "fuzz"); break;
        case 2: (void)fedpp::from_bytes<fedpp::nn::Sequential<double>>(bytes, "fuzz"); break;
        case 3: (void)fedpp::from_bytes<fedpp::data::Dataset<float>>(bytes, "fuzz"); break;
        default: (void)fedpp::from_bytes<fedpp::WeightedSum<fedpp::nn::Sequential<float>>>(bytes, "fuzz"); break;
        }
    } catch (const fedpp::Error&) {
    }
    return 0;
}
