// Writes the seed corpus of the fuzz targets (valid inputs of each kind),
// into the directory given as the only argument: <dir>/<target>/*.
// Re-run it (scripts/run_fuzzers.sh --make-seeds) when a format changes.
#include "memory_file.hpp"

#include <fedpp/io/checkpoint.hpp>
#include <fedpp/federated.hpp>
#include <fedpp/io/weights.hpp>
#if FEDPP_FUZZ_SECURE_AGGREGATION
#include "secure_aggregation_session.hpp"
#endif

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace {
void write(const std::filesystem::path& path, const fedpp::Bytes& bytes) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> as_u8(const std::string& text) { return {text.begin(), text.end()}; }

void write_u8(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
    fedpp::Bytes out(bytes.size());
    std::memcpy(out.data(), bytes.data(), bytes.size());
    write(path, out);
}

/// An IDX file: big-endian header (magic, sizes), then `values`.
std::vector<std::uint8_t> idx(std::uint32_t magic, const std::vector<std::uint32_t>& sizes,
                              const std::vector<std::uint8_t>& values) {
    std::vector<std::uint8_t> out;
    auto put = [&](std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.push_back(static_cast<std::uint8_t>(v >> shift));
        }
    };
    put(magic);
    for (auto s : sizes) {
        put(s);
    }
    out.insert(out.end(), values.begin(), values.end());
    return out;
}

fedpp::Bytes with_selector(std::uint8_t selector, const fedpp::Bytes& bytes) {
    fedpp::Bytes out{std::byte{selector}};
    out.insert(out.end(), bytes.begin(), bytes.end());
    return out;
}
#if FEDPP_FUZZ_SECURE_AGGREGATION
/// Secure aggregation: the real messages of each round of a small session.
void write_secure_aggregation_seeds(const std::filesystem::path& dir) {
    for (int round = 0; round < 4; ++round) {
        fuzzing::SecureAggregationSession session(round);
        const auto answer = fedpp::to_bytes(session.client0_answer);
        write(dir / ("client_message_" + std::to_string(round)), with_selector(0, answer));
        write(dir / ("to_server_round_" + std::to_string(round)),
              with_selector(static_cast<std::uint8_t>(5 + round), answer));
        if (session.to_client0) {
            const auto request = fedpp::to_bytes(*session.to_client0);
            write(dir / ("server_message_" + std::to_string(round)), with_selector(1, request));
            write(dir / ("to_client_round_" + std::to_string(round)),
                  with_selector(static_cast<std::uint8_t>(1 + round), request));
        }
    }
}
#endif
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
    fedpp::federated::Config config;
    config.seed = 42;
    const fedpp::federated::TrainingState<Model> state{7, 42, model.copy(),
                                                       fedpp::detail::run_setup(config, {10, 12, 0, 9})};
    write(root / "fuzz_checkpoint" / "training_state", fedpp::checkpoint_to_bytes(state));
    // A DP run's state: the accountant's history and an adaptive clip norm.
    fedpp::federated::DpState dp{fedpp::privacy::RdpAccountant{}, fedpp::privacy::AdaptiveClipping(1.0, 50)};
    dp.accountant.add_steps(0.1, 1.0, 7);
    const fedpp::federated::TrainingState<Model> dp_state{7, 42, model.copy(),
                                                          fedpp::detail::run_setup(config, {10, 12, 0, 9}), dp};
    write(root / "fuzz_checkpoint" / "training_state_dp", fedpp::checkpoint_to_bytes(dp_state));
    write(root / "fuzz_checkpoint" / "linear_f64",
          fedpp::checkpoint_to_bytes(fedpp::nn::Linear<double>(2, 1, generator)));

    write(root / "fuzz_codecs" / "tensor", with_selector(0, fedpp::to_bytes(fedpp::Tensor<float>{{1, 2}, {3, 4}})));
    // Issue 9, item 3: a forged size with an empty other dimension (rows
    // 2^63, cols 0) once decoded into a tensor with negative rows().
    fedpp::Bytes forged;
    fedpp::ByteWriter forger(forged);
    forger.write_string(fedpp::Codec<fedpp::Tensor<float>>::type_name());
    forger.write(false);
    forger.write<std::uint64_t>(std::uint64_t{1} << 63);
    forger.write<std::uint64_t>(0);
    write(root / "fuzz_codecs" / "tensor_forged_rows", with_selector(0, forged));
    write(root / "fuzz_codecs" / "linear", with_selector(1, fedpp::to_bytes(fedpp::nn::Linear<float>(2, 3, generator))));
    fedpp::nn::Sequential<double> doubles(fedpp::nn::Linear<double>(2, 2, generator), fedpp::nn::ReLU{});
    write(root / "fuzz_codecs" / "sequential", with_selector(2, fedpp::to_bytes(doubles)));
    // Every image layer kind: conv (padded, strided), pool, flatten, dropout.
    fedpp::nn::Conv2d<double> conv(fedpp::ImageShape{1, 5, 4}, 2, {3, 2}, generator, {.stride = {1, 2}, .padding = 1});
    const fedpp::nn::MaxPool2d pool(conv.output_shape(), 2, 1, 1);
    const fedpp::Index flat = pool.output_shape().size();
    fedpp::nn::Sequential<double> cnn(std::move(conv), fedpp::nn::ReLU{}, pool, fedpp::nn::Flatten{},
                                      fedpp::nn::Dropout(0.25), fedpp::nn::Linear<double>(flat, 2, generator));
    write(root / "fuzz_codecs" / "sequential_cnn", with_selector(2, fedpp::to_bytes(cnn)));
    const fedpp::data::Dataset<float> set(fedpp::Matrix<float>{{0, 1}, {2, 3}, {4, 5}}, {0, 1, 1}, 2,
                                          fedpp::ImageShape{1, 1, 2});
    write(root / "fuzz_codecs" / "dataset", with_selector(3, fedpp::to_bytes(set)));
    write(root / "fuzz_codecs" / "weighted_sum", with_selector(4, fedpp::to_bytes(fedpp::WeightedSum<Model>(model))));
    std::array<std::uint8_t, 32> session{};
    session.fill(7);
    write(root / "fuzz_codecs" / "masked",
          with_selector(5, fedpp::to_bytes(fedpp::detail::SecureAggregationAccess::masked<fedpp::nn::Linear<float>>(
                               {1, 2, 3, 4}, session, 1))));
    write(root / "fuzz_codecs" / "protocol_message",
          with_selector(6, fedpp::to_bytes(fedpp::detail::SecureAggregationAccess::message({0, 1, 2, 3, 4}))));

    // Digits: two well-formed rows (64 pixels 0..16, then a label).
    std::string csv;
    for (int row = 0; row < 2; ++row) {
        for (int i = 0; i < 64; ++i) {
            csv += std::to_string((i * 7 + row) % 17) + ",";
        }
        csv += std::to_string(row * 3) + "\n";
    }
    std::vector<std::uint8_t> plain{1}; // mode 1: contents, gzipped by the target
    const auto csv_bytes = as_u8(csv);
    plain.insert(plain.end(), csv_bytes.begin(), csv_bytes.end());
    write_u8(root / "fuzz_digits" / "two_rows_plain", plain);
    std::vector<std::uint8_t> raw{0}; // mode 0: the gzip file itself
    const auto gz = fuzzing::gzip(csv_bytes);
    raw.insert(raw.end(), gz.begin(), gz.end());
    write_u8(root / "fuzz_digits" / "two_rows_gzip", raw);

    // MNIST: 3 images of 2 x 3 pixels and their labels.
    const auto labels = idx(0x801, {3}, {7, 0, 9});
    const auto images = idx(0x803, {3, 2, 3}, {0, 10, 20, 30, 40, 50, 255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 128});
    auto mnist_input = [&](std::uint8_t mode, const std::vector<std::uint8_t>& l, const std::vector<std::uint8_t>& i) {
        std::vector<std::uint8_t> out{mode, static_cast<std::uint8_t>(l.size() & 0xFF),
                                      static_cast<std::uint8_t>(l.size() >> 8)};
        out.insert(out.end(), l.begin(), l.end());
        out.insert(out.end(), i.begin(), i.end());
        return out;
    };
    write_u8(root / "fuzz_mnist" / "three_images_plain", mnist_input(1, labels, images));
    write_u8(root / "fuzz_mnist" / "three_images_gzip", mnist_input(0, fuzzing::gzip(labels), fuzzing::gzip(images)));

    // Weights files: the fuzz targets load into Linear(3, 4), ReLU, Linear(4, 2).
    fedpp::Generator weights_generator(3);
    const Model small(fedpp::nn::Linear<float>(3, 4, weights_generator), fedpp::nn::ReLU{},
                      fedpp::nn::Linear<float>(4, 2, weights_generator));
    write(root / "fuzz_safetensors" / "sequential_f32", fedpp::io::safetensors_to_bytes(small, {{"format", "pt"}}));
    write(root / "fuzz_safetensors" / "linear_f64",
          fedpp::io::safetensors_to_bytes(fedpp::nn::Linear<double>(2, 1, weights_generator)));
    write(root / "fuzz_npz" / "sequential_stored", fedpp::io::npz_to_bytes(small));
    write(root / "fuzz_npz" / "sequential_deflated", fedpp::io::npz_to_bytes(small, /*compress=*/true));
    const auto arrays = fedpp::io::to_arrays(small);
    const fedpp::Bytes npy = fedpp::io::detail::npy_bytes(arrays.front());
    write(root / "fuzz_npz" / "npy_member", npy);          // for the stored-member path
    write(root / "fuzz_npz" / "npy_deflate_stream", fedpp::io::detail::deflate_raw(npy)); // the deflated-member path
    // Files written by NumPy (zip64 extra fields) and by plain Python (an indented header).
    const std::filesystem::path fixtures = FEDPP_IO_FIXTURES_DIR;
    for (const char* name : {"numpy_savez_f32.npz", "numpy_savez_compressed_f64.npz"}) {
        std::filesystem::copy_file(fixtures / name, root / "fuzz_npz" / name);
    }
    std::filesystem::copy_file(fixtures / "stdlib_f32.safetensors", root / "fuzz_safetensors" / "stdlib_f32");

#if FEDPP_FUZZ_SECURE_AGGREGATION
    write_secure_aggregation_seeds(root / "fuzz_secure_aggregation");
#endif
    return 0;
}
