// Secure aggregation, measured: one session per benchmark, every client and
// the server in this process on one core (fedpp::secagg::LocalSession), each
// message encoded and decoded as it would cross the network, against
// plaintext weighted FedAvg of updates of the same size (fedpp::WeightedSum,
// each update decoded from its bytes).
//
//     fedpp_secure_aggregation_benchmark [Google Benchmark flags]
//
// The time column is the server's time (its protocol steps and its codecs);
// the counters give the rest:
//   client_ms_mean/max  one client's time, encoding its update in fixed point
//                       included (the training that produced it is not)
//   up_bytes, down_bytes  bytes one client sends / receives (mean over the
//                       clients that finished; the model's broadcast, the
//                       same for both, is not counted)
//   up_ratio            up_bytes / the plaintext update's bytes
//   contributors        inputs in the sum
// Dropouts: the given share of the clients (a random set) send their shares
// and then nothing: the case that costs the server most, as every dropped
// client's pairwise masks must be rebuilt and removed.
#include <fedpp/aggregation/weighted_sum.hpp>
#include <fedpp/io/codecs.hpp>
#include <fedpp/secure_aggregation.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace fedpp::secagg;

/// Client c's update: m values in [-1, 1) and a weight in (0, 1].
std::vector<float> update_of(ClientId c, std::size_t m) {
    std::mt19937 gen(c + 1);
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::vector<float> values(m);
    for (auto& v : values) {
        v = value(gen);
    }
    return values;
}

double weight_of(ClientId c) { return (1.0 + c % 10) / 10.0; }

std::size_t plaintext_update_bytes(std::size_t m) {
    return fedpp::to_bytes(fedpp::Tensor<float>(fedpp::Matrix<float>::Zero(static_cast<fedpp::Index>(m), 1)))
        .size();
}

/// One benchmark's session: the parameters, the graph, and who drops out.
struct Setting {
    Config config;
    NeighbourGraph graph;
    LocalSessionOptions options;
    std::size_t parameters;
};

/// Arguments: clients, parameters, dropout percent, degree (0: complete graph).
Setting make_setting(const benchmark::State& state) {
    const auto n = static_cast<std::uint32_t>(state.range(0));
    const auto dropout_percent = static_cast<std::uint32_t>(state.range(2));
    const auto degree = state.range(3) == 0 ? n - 1 : static_cast<std::uint32_t>(state.range(3));
    OsRandom os;
    Config config;
    config.clients = n;
    config.degree = degree;
    config.threshold = majority_threshold(degree);
    config.vector_length = FixedPointEncoding::words_for(static_cast<std::size_t>(state.range(1)));
    os.fill(config.session_id);
    Setting setting{config, NeighbourGraph::random_harary(n, degree, os), {}, static_cast<std::size_t>(state.range(1))};
    std::vector<ClientId> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin(), order.end(), std::mt19937(n + dropout_percent));
    setting.options.drop_round.assign(n, 4);
    for (std::uint32_t i = 0; i < n * dropout_percent / 100; ++i) {
        setting.options.drop_round[order[i]] = 2;
    }
    return setting;
}

void report_counters(benchmark::State& state, const Setting& setting, const LocalSessionReport& report,
                     const std::vector<double>& encode_seconds) {
    const std::uint32_t n = setting.config.clients;
    double client_total = 0, client_max = 0, up = 0, down = 0;
    std::size_t finished = 0;
    for (ClientId c = 0; c < n; ++c) {
        const double seconds = report.client_seconds[c] + encode_seconds[c];
        client_total += seconds;
        client_max = std::max(client_max, seconds);
        if (setting.options.drop_round[c] > 3) {
            up += static_cast<double>(report.bytes_sent[c]);
            down += static_cast<double>(report.bytes_received[c]);
            ++finished;
        }
    }
    const double plaintext = static_cast<double>(plaintext_update_bytes(setting.parameters));
    state.counters["client_ms_mean"] = 1e3 * client_total / n;
    state.counters["client_ms_max"] = 1e3 * client_max;
    state.counters["up_bytes"] = up / static_cast<double>(finished);
    state.counters["down_bytes"] = down / static_cast<double>(finished);
    state.counters["up_ratio"] = up / static_cast<double>(finished) / plaintext;
    state.counters["contributors"] = static_cast<double>(report.sum->contributors.size());
    state.counters["degree"] = setting.config.degree;
    state.counters["threshold"] = setting.config.threshold;
}

void secure(benchmark::State& state) {
    const Setting setting = make_setting(state);
    const FixedPointEncoding encoding; // clipping range 8, 2^18 steps per unit, modulus 2^32
    encoding.check_clients(setting.config.clients);
    for (auto _ : state) {
        std::vector<double> encode_seconds(setting.config.clients, 0);
        std::vector<std::uint32_t> expected(setting.config.vector_length, 0);
        auto input_of = [&](ClientId c) {
            const auto values = update_of(c, setting.parameters);
            const auto start = std::chrono::steady_clock::now();
            auto words = encoding.encode(std::span<const float>(values), weight_of(c));
            encode_seconds[c] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            for (std::size_t i = 0; i < words.size(); ++i) {
                expected[i] += words[i];
            }
            return words;
        };
        LocalSession session(setting.config, setting.graph, [](ClientId) { return std::make_unique<OsRandom>(); });
        const LocalSessionReport report = session.run(input_of, setting.options);
        if (!report.sum || report.sum->words != expected) {
            static std::string message; // Google Benchmark keeps the pointer
            message = report.error ? report.error->what() : "the unmasked sum is wrong";
            state.SkipWithError(message.c_str());
            return;
        }
        state.SetIterationTime(report.server_seconds);
        report_counters(state, setting, report, encode_seconds);
    }
}

/// Arguments: clients, parameters. The server's time: decode each update
/// and add it, weighted, to a WeightedSum; then the average.
void plaintext(benchmark::State& state) {
    const auto n = static_cast<std::uint32_t>(state.range(0));
    const auto m = static_cast<std::size_t>(state.range(1));
    using Update = fedpp::Tensor<float>;
    for (auto _ : state) {
        fedpp::WeightedSum<Update> sum(Update(fedpp::Matrix<float>::Zero(static_cast<fedpp::Index>(m), 1)));
        double server = 0;
        std::size_t bytes = 0;
        for (ClientId c = 0; c < n; ++c) {
            const auto values = update_of(c, m);
            const fedpp::Bytes message = fedpp::to_bytes(
                Update(Eigen::Map<const fedpp::Matrix<float>>(values.data(), static_cast<fedpp::Index>(m), 1)));
            bytes = message.size();
            const auto start = std::chrono::steady_clock::now();
            sum.add(fedpp::from_bytes<Update>(message), weight_of(c));
            server += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        }
        const auto start = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(sum.average());
        server += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        state.SetIterationTime(server);
        state.counters["up_bytes"] = static_cast<double>(bytes);
    }
}

void settings_100x1m(benchmark::internal::Benchmark* b) {
    for (const int dropout : {0, 10, 30}) {
        b->Args({100, 1'000'000, dropout, 0});
    }
}

void settings_500x100k(benchmark::internal::Benchmark* b) {
    // SecAgg+ with the degree NeighbourGraph::degree_for gives for 500
    // clients, a 1e-6 chance of failure, and 10% (36) or 30% (204)
    // dropouts; and the complete graph of Bonawitz et al.
    for (const int dropout : {0, 10}) {
        b->Args({500, 100'000, dropout, 36});
    }
    for (const int dropout : {0, 10, 30}) {
        b->Args({500, 100'000, dropout, 204});
    }
    for (const int dropout : {0, 10, 30}) {
        b->Args({500, 100'000, dropout, 0});
    }
}

} // namespace

BENCHMARK(secure)->Name("secure/100x1M")->Apply(settings_100x1m)->ArgNames({"n", "m", "dropout%", "k"})
    ->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(plaintext)->Name("plaintext/100x1M")->Args({100, 1'000'000})->UseManualTime()->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(secure)->Name("secure/500x100K")->Apply(settings_500x100k)->ArgNames({"n", "m", "dropout%", "k"})
    ->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(plaintext)->Name("plaintext/500x100K")->Args({500, 100'000})->UseManualTime()->Iterations(1)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
