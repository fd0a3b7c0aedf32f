// What the federated examples (digits_fedavg, mnist_fedavg) share: a
// federated::Config from the command line, a run that prints one progress
// line per round and, with --csv, writes the metrics too, and a main that
// turns every error into a message and an exit status.
#pragma once

#include "command_line.hpp"

#include <fedpp/federated.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace examples {

/// `options` and those of differential privacy (DP-FedAvg), for
/// run_program.
inline std::map<std::string, std::string> with_dp_options(std::map<std::string, std::string> options) {
    options.insert({
        {"dp-noise", "differential privacy: noise multiplier z (> 0); turns DP-FedAvg on, with each client taken "
                     "with probability --fraction (Poisson sampling)"},
        {"dp-clip", "DP: clip norm S of each client's update (default 1), or the initial one with --dp-adaptive "
                    "(default 0.1)"},
        {"dp-adaptive", "DP: adaptive clipping to this target quantile of the update norms, e.g. 0.5 (Andrew et "
                        "al. 2021; learning rate 0.2, noised count)"},
        {"dp-estimator", "DP: unweighted (w_k = 1) | weighted (w_k = min(n_k / cap, 1)); default weighted with "
                         "--dp-weight-cap, else unweighted"},
        {"dp-weight-cap", "DP: the weighted estimator's cap, a public number fixed before the run (e.g. a "
                          "client's expected example count)"},
        {"dp-delta", "DP: the delta of (epsilon, delta) (default 1e-5)"},
        {"dp-budget", "DP: stop before the round that would take epsilon above this"},
    });
    return options;
}

/// Config::dp from the --dp-* options (none if --dp-noise is not given);
/// UsageError for a DP option without --dp-noise or an unknown estimator.
inline std::optional<fedpp::federated::DpConfig> dp_config(const CommandLine& cli) {
    const char* dp_options[] = {"dp-clip", "dp-adaptive", "dp-estimator", "dp-weight-cap", "dp-delta", "dp-budget"};
    if (!cli.has("dp-noise")) {
        for (const char* option : dp_options) {
            if (cli.has(option)) {
                cli.fail(std::string("option '--") + option + "' needs '--dp-noise' (which turns DP on)");
            }
        }
        return std::nullopt;
    }
    fedpp::federated::DpConfig dp;
    dp.noise_multiplier = cli.number("dp-noise", 1);
    if (cli.has("dp-adaptive")) {
        fedpp::privacy::AdaptiveClippingConfig adaptive;
        adaptive.target_quantile = cli.number("dp-adaptive", 0.5);
        adaptive.initial_norm = cli.number("dp-clip", 0.1);
        dp.adaptive = adaptive;
    } else {
        dp.clip_norm = cli.number("dp-clip", 1.0);
    }
    const std::string estimator = cli.text("dp-estimator", cli.has("dp-weight-cap") ? "weighted" : "unweighted");
    if (estimator != "weighted" && estimator != "unweighted") {
        cli.fail("unknown estimator '" + estimator + "' (weighted or unweighted)");
    }
    using fedpp::privacy::Estimator;
    dp.estimator = estimator == "weighted" ? Estimator::weighted : Estimator::unweighted;
    dp.weight_cap = cli.number("dp-weight-cap", 0);
    dp.delta = cli.number("dp-delta", 1e-5);
    if (cli.has("dp-budget")) {
        dp.epsilon_budget = cli.number("dp-budget", 0);
    }
    return dp;
}

/// A line describing a DP run's settings (nothing without DP).
inline void print_dp_settings(const fedpp::federated::Config& config) {
    if (!config.dp) {
        return;
    }
    const auto& dp = *config.dp;
    std::printf("DP-FedAvg: Poisson sampling q = %g, z = %g, ", config.client_fraction, dp.noise_multiplier);
    if (dp.adaptive) {
        std::printf("adaptive clipping from %g to quantile %g", dp.adaptive->initial_norm,
                    dp.adaptive->target_quantile);
    } else {
        std::printf("clip norm %g", dp.clip_norm);
    }
    if (dp.estimator == fedpp::privacy::Estimator::weighted) {
        std::printf(", weighted estimator (cap %g)", dp.weight_cap);
    } else {
        std::printf(", unweighted estimator");
    }
    std::printf(", delta = %g", dp.delta);
    if (dp.epsilon_budget) {
        std::printf(", budget epsilon <= %g", *dp.epsilon_budget);
    }
    std::printf("\n");
}

/// "N rounds", and how many were charged where that is more (rounds run
/// again after a restart are charged again).
inline std::string rounds_charged(std::size_t rounds, std::uint64_t charged) {
    return std::to_string(rounds) + " rounds" +
           (charged > rounds ? " (" + std::to_string(charged) + " charged: rounds run again are charged again)" : "");
}

/// What a DP run spent, after it (nothing without DP).
template <class Run>
void print_dp_spent(const Run& run) {
    if (const auto epsilon = run.epsilon()) {
        std::printf("privacy spent: (epsilon, delta) = (%.4g, %g) after %s%s\n", *epsilon, run.config().dp->delta,
                    rounds_charged(run.rounds_done(), run.dp_rounds_charged()).c_str(),
                    run.budget_reached() ? "; stopped: the next round would exceed the budget" : "");
    }
}

/// --rounds, --fraction, --epochs, --batch, --lr, --threads, --seed,
/// --target and the --dp-* options, with each example's own defaults for
/// --rounds, --fraction and --target; checked (Config::validate) before any
/// data is loaded, but for what depends on the clients (adaptive clipping's
/// count noise needs the expected clients per round: checked as the run starts).
inline fedpp::federated::Config federated_config(const CommandLine& cli, std::size_t default_rounds,
                                                 double default_fraction,
                                                 std::optional<double> default_target = std::nullopt) {
    fedpp::federated::Config config;
    config.rounds = cli.count("rounds", default_rounds);
    config.client_fraction = cli.number("fraction", default_fraction);
    config.local.epochs = cli.count("epochs", 1);
    config.local.batch_size = cli.count("batch", 10);
    config.local.learning_rate = cli.number("lr", 0.1);
    config.threads = cli.count("threads", 0);
    config.seed = cli.count("seed", 1, std::numeric_limits<std::uint64_t>::max());
    config.target_accuracy = default_target;
    if (cli.has("target")) {
        config.target_accuracy = cli.number("target", 0); // -0.5 or nan: refused by validate()
    }
    config.dp = dp_config(cli);
    config.validate();
    return config;
}

/// --clients, at least 1.
inline std::size_t client_count(const CommandLine& cli, std::size_t fallback) {
    const std::size_t clients = cli.count("clients", fallback);
    if (clients == 0) {
        cli.fail("option '--clients' needs at least 1 client");
    }
    return clients;
}

/// Whether `run` can take in clients it could not reach at its start (not a
/// DP run with adaptive clipping: Run::retry_unreachable leaves them out).
template <class Run>
bool takes_in_late_clients(const Run& run) {
    return !(run.config().dp && run.config().dp->adaptive);
}

/// Whether a round follows round `m` (not after the last round, one that
/// reached the target, or one that spent the DP budget).
template <class Run>
bool round_follows(const Run& run, const fedpp::federated::RoundMetrics& m) {
    const auto& target = run.config().target_accuracy;
    return !run.end().ended() && !(target && m.test_accuracy >= *target);
}

/// After round `m`: tries again the clients left out so far, printing
/// those that now take part, and those set aside after refusing their part
/// of it that stay out (only if a round follows: each try asks a client
/// for its count).
template <class Run>
void retry_unreachable(Run& run, const fedpp::federated::RoundMetrics& m) {
    if (run.unreachable_clients().empty() || !round_follows(run, m)) {
        return;
    }
    for (const std::size_t k : run.retry_unreachable()) {
        std::printf("client %zu was reached: it takes part from round %zu on\n", k, run.rounds_done() + 1);
    }
    const auto& out = run.unreachable_clients();
    for (const auto& failure : m.failures) {
        const auto is_it = [&](const fedpp::federated::ClientFailure& o) { return o.client == failure.client; };
        if (failure.refused && std::any_of(out.begin(), out.end(), is_it)) {
            std::printf("client %zu refused its part of round %zu: set aside (asked again after each round)\n",
                        failure.client, m.round);
        }
    }
}

/// run.run(), printing the clients left out (if it trains: unreachable or
/// refusing when it started; tried again after each round) and a progress
/// line per round to stdout and, if --csv names a file, writing each
/// round's metrics there (IoError if that fails): a new file, or for a run
/// resumed from its checkpoint the rows after the earlier rounds'
/// (CsvMetricsWriter::Append, rounds after the checkpoint's dropped).
template <class Run>
std::vector<fedpp::federated::RoundMetrics> run_with_progress(Run& run, const CommandLine& cli) {
    using fedpp::federated::CsvMetricsWriter;
    const auto& unreachable = run.unreachable_clients();
    const bool trains = !run.end().ended();
    for (std::size_t i = 0; trains && i < unreachable.size() && i < 5; ++i) {
        const std::size_t k = unreachable[i].client;
        const bool never = !takes_in_late_clients(run) && run.client_sizes()[k] == 0;
        std::printf("client %zu is left out%s: %s\n", k,
                    never ? " of this run (adaptive clipping cannot take in a client it never counted)"
                          : " (asked again after each round)",
                    unreachable[i].reason.c_str());
    }
    if (trains && unreachable.size() > 5) {
        std::printf("... and %zu more clients left out\n", unreachable.size() - 5);
    }
    const auto progress = fedpp::federated::progress_printer(stdout, run.config().rounds);
    std::optional<CsvMetricsWriter> csv;
    if (const std::string path = cli.text("csv", ""); !path.empty() && run.rounds_done() == 0) {
        csv.emplace(path);
    } else if (!path.empty()) {
        csv.emplace(path, CsvMetricsWriter::Append{run.rounds_done()}); // (rounds after the checkpoint: done again)
    }
    auto metrics = run.run([&](const fedpp::federated::RoundMetrics& m) {
        progress(m);
        if (csv) {
            (*csv)(m);
        }
        retry_unreachable(run, m);
    });
    if (csv) {
        csv->close();
    }
    return metrics;
}

/// Whether rounds ran and none was aggregated (a party refusing the others
/// by its configuration, every client's update out of range, say): a failed
/// run, whatever its target; says why on stderr (the first round's error).
inline bool no_round_aggregated(const std::vector<fedpp::federated::RoundMetrics>& metrics) {
    if (metrics.empty() || std::any_of(metrics.begin(), metrics.end(), [](const auto& m) { return m.aggregated; })) {
        return false;
    }
    std::fprintf(stderr, "no round was aggregated, so the model is the one the run started from; the first: %s\n",
                 metrics.front().round_error.c_str());
    return true;
}

namespace detail {
inline int report(const char* program, const std::string& message, int status) {
    std::fprintf(stderr, "%s: %s\n", program, message.c_str());
    if (status == 2) {
        std::fprintf(stderr, "run '%s --help' for the options\n", program);
    }
    return status;
}
} // namespace detail

/// main() of an example: parses the command line with `options`, runs
/// `program(cli)`, and turns what goes wrong into a message on stderr and
/// an exit status: 2 for a bad command line (an unknown option, a malformed
/// value, or one fedpp refuses as an argument: ArgumentError, ShapeError),
/// 1 for a failure while running (a missing or corrupt data file, a write
/// that fails, out of memory). Never std::terminate.
inline int run_program(int argc, char** argv, std::map<std::string, std::string> options,
                       const std::function<int(const CommandLine&)>& program) {
    const char* name = argc > 0 ? argv[0] : "example";
    int status = 0;
    try {
        const CommandLine cli(argc, argv, std::move(options));
        status = program(cli);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "%s: %s\n%s", name, e.what(), e.usage().c_str());
        return 2;
    } catch (const fedpp::ArgumentError& e) {
        return detail::report(name, e.what(), 2);
    } catch (const fedpp::ShapeError& e) {
        return detail::report(name, e.what(), 2);
    } catch (const std::bad_alloc&) {
        return detail::report(name, "out of memory (try fewer clients or threads, or a smaller batch)", 1);
    } catch (const std::exception& e) {
        return detail::report(name, e.what(), 1);
    }
    // The progress lines were written to stdout: a write that failed there
    // (a full disk) is a failure too.
    errno = 0;
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
        const int error = errno;
        return detail::report(name, std::string("cannot write to standard output: ") +
                                        (error != 0 ? std::strerror(error) : "a write failed"), 1);
    }
    return status;
}

} // namespace examples
