// Round trips through PyTorch (tests/pytorch_weights.py): a model (an MLP,
// and a small CNN with every image layer kind) trained by fedpp and saved as
// safetensors and .npz predicts the same in torch.nn.Sequential, and weights written by PyTorch (safetensors by the
// standard library, numpy.savez, numpy.savez_compressed) predict the same
// in fedpp, to float tolerance, in float32 and float64.
//
// Its own executable (ctest: unit.io_pytorch_round_trip), with the tests'
// shared main (main.cpp): without a Python 3 that imports torch and numpy
// each test case says why and is skipped (FEDPP_SKIP), and the run exits
// with 77, which ctest reports as skipped, never as passed. The interpreter:
// $FEDPP_PYTHON if set, otherwise the first of FEDPP_PYTHON_CANDIDATES
// (CMake's FEDPP_PYTHON, or python3 on the PATH, then /usr/bin/python3) with
// both.
#include "data_files.hpp"
#include "io_support.hpp"
#include "skip.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FEDPP_TESTS_DIR
#error "FEDPP_TESTS_DIR must name tests/ (tests/CMakeLists.txt defines it)"
#endif
#ifndef FEDPP_PYTHON_CANDIDATES
#define FEDPP_PYTHON_CANDIDATES "python3:/usr/bin/python3"
#endif

namespace io = fedpp::io;

namespace {

/// Runs `arguments` (argv[0] looked up on the PATH) and returns its exit
/// status; with `quiet`, its output goes to /dev/null.
int run(const std::vector<std::string>& arguments, bool quiet = false) {
    std::vector<char*> argv;
    for (const auto& argument : arguments) {
        argv.push_back(const_cast<char*>(argument.c_str()));
    }
    argv.push_back(nullptr);
    std::fflush(nullptr);
    const pid_t child = ::fork();
    if (child == 0) {
        if (quiet) {
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::dup2(null, 2);
        }
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    if (child < 0 || ::waitpid(child, &status, 0) != child) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::optional<std::string> find_python() {
    std::string candidates = FEDPP_PYTHON_CANDIDATES;
    if (const char* chosen = std::getenv("FEDPP_PYTHON"); chosen != nullptr && *chosen != '\0') {
        candidates = chosen;
    }
    std::stringstream list(candidates);
    for (std::string candidate; std::getline(list, candidate, ':');) {
        if (!candidate.empty() && run({candidate, "-c", "import torch, numpy"}, true) == 0) {
            return candidate;
        }
    }
    return std::nullopt;
}

/// The interpreter, looked for once (empty if there is none).
const std::string& python() {
    static const std::string found = [] {
        auto candidate = find_python();
        if (candidate) {
            std::printf("PyTorch round trips with %s\n", candidate->c_str());
        }
        return candidate.value_or(std::string());
    }();
    return found;
}

/// Why the round trips cannot run here.
std::string no_python_reason() {
    const char* chosen = std::getenv("FEDPP_PYTHON");
    return std::string("no Python 3 that imports torch and numpy (tried ") +
           (chosen != nullptr && *chosen != '\0' ? chosen : FEDPP_PYTHON_CANDIDATES) +
           "; set FEDPP_PYTHON, or install Debian's python3-torch python3-numpy)";
}

/// Runs `round_trips`, or skips the test case where no interpreter has
/// torch and numpy.
template <class RoundTrips>
void with_python(RoundTrips round_trips) {
    if (python().empty()) {
        FEDPP_SKIP(no_python_reason());
    }
    round_trips();
}

void run_script(const std::vector<std::string>& arguments) {
    std::vector<std::string> command{python(), std::string(FEDPP_TESTS_DIR) + "/pytorch_weights.py"};
    command.insert(command.end(), arguments.begin(), arguments.end());
    INFO("python3 pytorch_weights.py " << arguments.front());
    REQUIRE(run(command) == 0);
}

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    return nlohmann::json::parse(in);
}

/// The script's models (pytorch_weights.py): "mlp" is Linear(5, 8), ReLU,
/// Linear(8, 8), Tanh, Linear(8, 3); "cnn" is Conv2d(1, 3, 3, padding 1),
/// ReLU, MaxPool2d(2), Conv2d(3, 4, 2x3, stride 2x1), Flatten, Dropout(0.25),
/// Linear(8, 5) on 1x6x8 images.
template <class T>
io_test::Sequential<T> script_model(const std::string& kind, std::uint64_t seed) {
    namespace nn = fedpp::nn;
    fedpp::Generator generator(seed);
    if (kind == "cnn") {
        nn::Conv2d<T> conv1(fedpp::ImageShape{1, 6, 8}, 3, 3, generator, {.padding = 1});
        nn::MaxPool2d pool(conv1.output_shape(), 2);
        nn::Conv2d<T> conv2(pool.output_shape(), 4, fedpp::Size2(2, 3), generator, {.stride = fedpp::Size2(2, 1)});
        nn::Linear<T> fc(conv2.output_shape().size(), 5, generator);
        return io_test::Sequential<T>(std::move(conv1), nn::ReLU{}, pool, std::move(conv2), nn::Flatten{},
                                      nn::Dropout(0.25), std::move(fc));
    }
    return io_test::Sequential<T>(nn::Linear<T>(5, 8, generator), nn::ReLU{}, nn::Linear<T>(8, 8, generator),
                                  nn::Tanh{}, nn::Linear<T>(8, 3, generator));
}

/// The width of the script model's input rows.
fedpp::Index input_width(const std::string& kind) { return kind == "cnn" ? 48 : 5; }

template <class T>
fedpp::Tensor<T> tensor_from(const nlohmann::json& rows) {
    fedpp::Matrix<T> values(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows[0].size()));
    for (Eigen::Index r = 0; r < values.rows(); ++r) {
        for (Eigen::Index c = 0; c < values.cols(); ++c) {
            values(r, c) = rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)].get<T>();
        }
    }
    return fedpp::Tensor<T>(std::move(values));
}

template <class T>
void check_close(const fedpp::Tensor<T>& fedpp_predictions, const nlohmann::json& torch_predictions) {
    const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    const auto expected = tensor_from<T>(torch_predictions);
    REQUIRE(fedpp_predictions.rows() == expected.rows());
    REQUIRE(fedpp_predictions.cols() == expected.cols());
    for (Eigen::Index r = 0; r < expected.rows(); ++r) {
        for (Eigen::Index c = 0; c < expected.cols(); ++c) {
            const double a = fedpp_predictions.value()(r, c);
            const double b = expected.value()(r, c);
            INFO("prediction (" << r << ", " << c << "): fedpp " << a << ", PyTorch " << b);
            CHECK(std::abs(a - b) <= tolerance * std::max(1.0, std::abs(b)));
        }
    }
}

/// Trains the model with fedpp (the training forward: Dropout drops), saves
/// it, and compares PyTorch's predictions (eval mode) with fedpp's.
template <class T>
void fedpp_to_pytorch(const char* dtype, const std::string& kind = "mlp") {
    const TempDir dir;
    auto model = script_model<T>(kind, 11);
    fedpp::Generator generator(12);
    fedpp::Matrix<T> values(20, input_width(kind));
    for (Eigen::Index r = 0; r < values.rows(); ++r) {
        for (Eigen::Index c = 0; c < values.cols(); ++c) {
            values(r, c) = static_cast<T>(generator.uniform(-2.0, 2.0));
        }
    }
    const fedpp::Tensor<T> inputs(std::move(values));
    const std::vector<std::int32_t> labels{0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2, 0, 1, 2, 1, 0, 2, 2, 1};
    fedpp::optim::SGD<T> sgd(model.parameters(), T(0.1));
    for (int step = 0; step < 30; ++step) {
        sgd.zero_grad();
        auto loss = fedpp::nn::cross_entropy(model(inputs, fedpp::nn::TrainingMode{generator}), labels);
        loss.backward();
        sgd.step();
    }
    const auto predictions = model(inputs);
    nlohmann::json request;
    request["inputs"] = nlohmann::json::array();
    for (Eigen::Index r = 0; r < inputs.rows(); ++r) {
        std::vector<T> row(inputs.value().row(r).begin(), inputs.value().row(r).end());
        request["inputs"].push_back(row);
    }
    std::ofstream(dir.file("inputs.json")) << request.dump();
    for (const std::string name : {"fedpp.safetensors", "fedpp.npz"}) {
        INFO(name << ", " << dtype << ", " << kind);
        io::save_weights(dir.file(name), model);
        run_script({"predict", dir.file(name), dtype, dir.file("inputs.json"), dir.file(name + ".json"), kind});
        check_close(predictions, read_json(dir.file(name + ".json"))["predictions"]);
    }
}

template <class T>
void pytorch_to_fedpp(const char* dtype, const std::string& kind = "mlp") {
    const TempDir dir;
    run_script({"write", dir.file("torch"), dtype, "5", kind});
    const auto written = read_json(dir.file("torch.json"));
    const auto inputs = tensor_from<T>(written["inputs"]);
    for (const std::string name : {"torch.safetensors", "torch.npz", "torch_compressed.npz"}) {
        INFO(name << ", " << dtype << ", " << kind);
        auto model = script_model<T>(kind, 99);
        io::load_weights(dir.file(name), model);
        check_close(model(inputs), written["predictions"]);
    }
}
} // namespace

TEST_CASE("pytorch: a model trained by fedpp predicts the same in PyTorch", "[io][pytorch]") {
    with_python([] {
        fedpp_to_pytorch<float>("float32");
        fedpp_to_pytorch<double>("float64");
    });
}

TEST_CASE("pytorch: weights written by PyTorch predict the same in fedpp", "[io][pytorch]") {
    with_python([] {
        pytorch_to_fedpp<float>("float32");
        pytorch_to_fedpp<double>("float64");
    });
}

TEST_CASE("pytorch: a CNN trained by fedpp, with dropout, predicts the same in PyTorch", "[io][pytorch][conv]") {
    with_python([] {
        fedpp_to_pytorch<float>("float32", "cnn");
        fedpp_to_pytorch<double>("float64", "cnn");
    });
}

TEST_CASE("pytorch: CNN weights written by PyTorch predict the same in fedpp", "[io][pytorch][conv]") {
    with_python([] {
        pytorch_to_fedpp<float>("float32", "cnn");
        pytorch_to_fedpp<double>("float64", "cnn");
    });
}
