// What the benchmarks of whole rounds of the driver share
// (federated_round.cpp, cnn_round.cpp): the check that one and two client
// threads give the same model, and the timed loop.
#pragma once

#include "data_file.hpp"

#include <fedpp/io/codec.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>

namespace bench {

/// Empty when `rounds` rounds of make_driver(1) and of make_driver(2) each
/// aggregate all `clients` and end with the same global model, bit for bit
/// (the driver promises that); otherwise what differs.
template <class MakeDriver>
std::string thread_count_mismatch(MakeDriver make_driver, int rounds, std::size_t clients) {
    auto one = make_driver(1);
    auto two = make_driver(2);
    for (int round = 0; round < rounds; ++round) {
        const auto a = one->run_round();
        const auto b = two->run_round();
        if (a.clients_aggregated != clients || b.clients_aggregated != clients) {
            return "a round aggregated fewer than all " + std::to_string(clients) + " clients";
        }
    }
    if (fedpp::to_bytes(one->global_model()) != fedpp::to_bytes(two->global_model())) {
        return "the global model after " + std::to_string(rounds) + " round(s) differs between 1 and 2 threads";
    }
    return {};
}

/// The timed loop: one driver.run_round() per iteration, on state.range(0)
/// threads, after `untimed` rounds (the first allocates the clients' stores).
/// Skipped, with the reason as its error, if `mismatch` (thread_count_mismatch,
/// kept in a static: the error must outlive the run) is not empty.
template <class MakeDriver>
void time_rounds(benchmark::State& state, const std::string& mismatch, MakeDriver make_driver, int untimed,
                 std::size_t clients) {
    if (!mismatch.empty()) {
        state.SkipWithError(mismatch.c_str());
        return;
    }
    auto driver = make_driver(static_cast<std::size_t>(state.range(0)));
    for (int round = 0; round < untimed; ++round) {
        driver->run_round();
    }
    for (auto _ : state) {
        const auto metrics = driver->run_round();
        benchmark::DoNotOptimize(metrics.test_accuracy);
    }
    state.counters["clients"] = static_cast<double>(clients);
}

} // namespace bench
