// libFuzzer target: the safetensors reader (fedpp/io/safetensors.hpp). Any
// input must either load or throw a fedpp::io::WeightsFileError; crashes,
// hangs, leaks, other exceptions and undefined behaviour are findings.
#include <fedpp/io/safetensors.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace {
using Model = fedpp::nn::Sequential<float>;

/// The seeds' architecture: Linear(3, 4), ReLU, Linear(4, 2).
Model& float_model() {
    static fedpp::Generator generator(1);
    static Model model(fedpp::nn::Linear<float>(3, 4, generator), fedpp::nn::ReLU{},
                       fedpp::nn::Linear<float>(4, 2, generator));
    return model;
}

fedpp::nn::Linear<double>& double_layer() {
    static fedpp::Generator generator(2);
    static fedpp::nn::Linear<double> layer(2, 1, generator);
    return layer;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto bytes = std::as_bytes(std::span(data, size));
    try {
        const auto contents = fedpp::io::read_safetensors(bytes, "fuzz");
        for (const auto& array : contents.arrays) {
            (void)fedpp::io::byte_count(array.shape, array.dtype);
        }
    } catch (const fedpp::io::WeightsFileError&) {
    }
    try {
        fedpp::io::load_safetensors_bytes(bytes, float_model(), "fuzz");
    } catch (const fedpp::io::WeightsFileError&) {
    }
    try {
        fedpp::io::load_safetensors_bytes(bytes, double_layer(), "fuzz", {.convert_dtype = true});
    } catch (const fedpp::io::WeightsFileError&) {
    }
    return 0;
}
