// Writes the seed corpus of the fuzz targets (valid inputs of each kind),
// into the directory given as the only argument:
//   <dir>/fuzz_checkpoint/*  and  <dir>/fuzz_codecs/*
// Re-run it (scripts/run_fuzzers.sh --make-seeds) when a format changes.
#include <fedpp/checkpoint.hpp>
#include <fedpp/federated.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {
void write(const std::filesystem::path& path, const fedpp::Bytes& bytes) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

fedpp::Bytes with_selector(std::uint8_t selector, const fedpp::Bytes& bytes) {
    fedpp::Bytes out{std::byte{selector}};
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
}
} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_seeds <corpus directory>\n");
        return 2;
    }
    const std::filesystem::path root = argv[1];
    fedpp::Generator generator(1);
    using Model = fedpp::nn::Sequential<float>;
    Model model(fedpp::nn::Linear<float>(3, 4, generator), fedpp::nn::ReLU{}, fedpp::nn::Linear<float>(4, 2, generator),
                fedpp::nn::Tanh{}, fedpp::nn::Sigmoid{});
    const fedpp::federated::TrainingState<Model> state{7, 42, model.copy()};
    write(root / "fuzz_checkpoint" / "training_state", fedpp::checkpoint_to_bytes(state));
    write(root / "fuzz_checkpoint" / "linear_f64",
          fedpp::checkpoint_to_bytes(fedpp::nn::Linear<double>(2, 1, generator)));

    write(root / "fuzz_codecs" / "tensor", with_selector(0, fedpp::to_bytes(fedpp::Tensor<float>{{1, 2}, {3, 4}})));
    write(root / "fuzz_codecs" / "linear", with_selector(1, fedpp::to_bytes(fedpp::nn::Linear<float>(2, 3, generator))));
    fedpp::nn::Sequential<double> doubles(fedpp::nn::Linear<double>(2, 2, generator), fedpp::nn::ReLU{});
    write(root / "fuzz_codecs" / "sequential", with_selector(2, fedpp::to_bytes(doubles)));
    const fedpp::data::Dataset<float> set(fedpp::detail::Matrix<float>{{0, 1}, {2, 3}, {4, 5}}, {0, 1, 1}, 2);
    write(root / "fuzz_codecs" / "dataset", with_selector(3, fedpp::to_bytes(set)));
    write(root / "fuzz_codecs" / "weighted_sum", with_selector(4, fedpp::to_bytes(fedpp::WeightedSum<Model>(model))));
    return 0;
}
