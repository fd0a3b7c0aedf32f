// Saves a model as safetensors and .npz bytes and loads them into another.
#include <fedpp/io/weights.hpp>

#include <cstdio>

int main() {
    fedpp::Generator generator(1);
    const fedpp::nn::Sequential<float> saved(fedpp::nn::Linear<float>(3, 2, generator), fedpp::nn::ReLU{},
                                             fedpp::nn::Linear<float>(2, 1, generator));
    fedpp::nn::Sequential<float> from_safetensors = saved.copy();
    fedpp::nn::Sequential<float> from_npz = saved.copy();
    for (auto* model : {&from_safetensors, &from_npz}) {
        model->parameters()[0].value().setZero();
    }
    fedpp::io::load_safetensors_bytes(fedpp::io::safetensors_to_bytes(saved), from_safetensors, "bytes");
    fedpp::io::load_npz_bytes(fedpp::io::npz_to_bytes(saved), from_npz, "bytes");
    const bool same = from_safetensors.parameters()[0].value() == saved.parameters()[0].value() &&
                      from_npz.parameters()[0].value() == saved.parameters()[0].value();
    std::printf("formats consumer %s: %zu arrays\n", same ? "ok" : "FAILED", fedpp::io::state_dict(saved).size());
    return same ? 0 : 1;
}
