// The FedAvg paper's MNIST 2NN with every party a process of its own: ten
// (or --clients) client processes, each loading its own shard of the
// training set and publishing it; an aggregator process; and the model
// owner, which runs the same FederatedAveraging driver as mnist_fedavg,
// given the parties' addresses instead of their data. With --aggregation
// secure (given to every party), secure aggregation: the aggregator is a
// sum-only one, which learns only each round's weighted mean (with --dp-*,
// the noised sum: each client adds its share of the noise), and the model
// owner runs SecureFederatedAveraging.
//
//     bash examples/networked/run_mnist.sh            # all of them, on 127.0.0.1
//     bash examples/networked/run_mnist.sh --aggregation secure
//
// or by hand (see README, "Running on several machines"):
//     networked_mnist --party aggregator --certificates DIR --listen 0.0.0.0:7100
//     networked_mnist --party client-3 --clients 10 --certificates DIR --listen 0.0.0.0:7103 --trust aggregator --peers aggregator=HOST:7100
//     networked_mnist --party me --clients 10 --certificates DIR --peers aggregator=HOST:7100,client-0=HOST:7101,...
// and with secure aggregation, --aggregation secure given to each, the
// aggregator's --peers naming the clients: client-0=HOST:7101,...
//
// A client's shard: the partition mnist_fedavg makes (IID or sorted-label
// shards) from --seed, the same in every process, of which client k keeps
// part k. In a real deployment each data owner simply has its own files.
#include "../federated_cli.hpp"
#include "../secure_cli.hpp"
#include "../weights_cli.hpp"
#include "party_cli.hpp"

#include <fedpp/data/mnist.hpp>
#include <fedpp/data/partition.hpp>
#include <fedpp/federated.hpp>
#include <fedpp/grpc/transport.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#ifndef FEDPP_DATA_DIR
#define FEDPP_DATA_DIR "data"
#endif

namespace {

using namespace fedpp;

std::string client_name(std::size_t k) { return "client-" + std::to_string(k); }

/// Client `k` of `clients`: its own shard of the training set.
data::Dataset<float> shard_of(const examples::CommandLine& cli, std::size_t k, std::size_t clients) {
    const std::string dir = cli.text("data", FEDPP_DATA_DIR "/mnist");
    const auto train = data::load_mnist<float>(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz");
    Generator generator(cli.count("seed", 1, std::numeric_limits<std::uint64_t>::max()));
    const std::string partition = cli.text("partition", "iid");
    if (partition != "iid" && partition != "noniid") {
        cli.fail("unknown partition '" + partition + "' (iid or noniid)");
    }
    const auto parts = partition == "iid"
                           ? data::partition_iid(train.size(), static_cast<Index>(clients), generator)
                           : data::partition_shards(train.labels(), static_cast<Index>(clients), 2, generator);
    return train.subset(parts.at(k));
}

/// A client's floor on what it masks for secure aggregation with DP.
constexpr std::initializer_list<const char*> mask_floor_options = {"mask-clip-norm", "mask-min-noise",
                                                                   "mask-min-own-noise"};

/// The client's floor from --mask-* (Policy::mask_max_clip_norm,
/// mask_min_noise_multiplier, mask_min_own_noise_multiplier), if given:
/// with --aggregation secure only, as it binds masked updates only.
void set_mask_floor(const examples::CommandLine& cli, party::Policy& policy) {
    if (std::none_of(mask_floor_options.begin(), mask_floor_options.end(),
                     [&](const char* option) { return cli.has(option); })) {
        return;
    }
    if (!examples::secure_aggregation(cli, "networked_mnist")) {
        cli.fail("--mask-clip-norm, --mask-min-noise and --mask-min-own-noise bind the updates a client masks for "
                 "secure aggregation: give --aggregation secure");
    }
    if (!cli.has("mask-clip-norm") || !cli.has("mask-min-noise")) {
        cli.fail("--mask-clip-norm and --mask-min-noise go together: the noise is relative to the clip norm");
    }
    const auto value = [&](const char* option, bool zero) {
        const double v = cli.number(option, 0);
        if (!(std::isfinite(v) && (v > 0 || (zero && v == 0)))) {
            cli.fail(std::string("option '--") + option + "' must be finite and " + (zero ? ">= 0" : "> 0") +
                     ", got " + cli.text(option, ""));
        }
        return v;
    };
    policy.mask_max_clip_norm = value("mask-clip-norm", false);
    policy.mask_min_noise_multiplier = value("mask-min-noise", false);
    policy.mask_min_own_noise_multiplier = value("mask-min-own-noise", true);
}

int serve_client(const examples::CommandLine& cli, const std::string& name, std::size_t clients) {
    std::size_t k = clients;
    if (name.rfind("client-", 0) == 0 && name.size() > 7 && name.find_first_not_of("0123456789", 7) == std::string::npos) {
        k = std::stoul(name.substr(7));
    }
    if (k >= clients) {
        cli.fail("party '" + name + "' is not one of the " + std::to_string(clients) + " clients (client-0 ...)");
    }
    auto policy = examples::networked::policy_of(cli, name, party::Role::data_owner);
    if (!cli.has("trust")) {
        policy.trusted_aggregators = {"aggregator"};
    }
    if (examples::secure_aggregation(cli, "networked_mnist")) { // it trusts them with masked updates only
        policy.sum_only_aggregators = std::exchange(policy.trusted_aggregators, {});
    }
    set_mask_floor(cli, policy);
    party::Host host(policy);
    host.publish("train", shard_of(cli, k, clients));
    return examples::networked::serve(host, cli);
}

int serve_aggregator(const examples::CommandLine& cli, const std::string& name, std::size_t clients) {
    // With secure aggregation a sum-only aggregator, which sends the
    // protocol's messages to the clients: --peers must name them.
    examples::networked::refuse_options(cli, name, mask_floor_options, "a data owner's (this party aggregates)");
    const bool secure = examples::secure_aggregation(cli, "networked_mnist");
    const auto peers = examples::networked::peers(cli);
    for (std::size_t k = 0; secure && k < clients; ++k) {
        if (peers.count(client_name(k)) == 0) {
            cli.fail("a sum-only aggregator (--aggregation secure) sends the protocol's messages to the clients: "
                     "--peers must give each one's address, and does not give " + client_name(k) + "'s");
        }
    }
    auto policy = examples::networked::policy_of(cli, name,
                                                 secure ? party::Role::sum_only_aggregator : party::Role::aggregator);
    // Only the clients' values count as contributions: a value the model
    // owner sent itself can never make an "average" of one client.
    for (std::size_t k = 0; k < clients; ++k) {
        policy.contributors.insert(client_name(k));
    }
    party::Host host(policy);
    return examples::networked::serve(host, cli);
}

/// The options only the model owner reads.
constexpr std::initializer_list<const char*> model_owner_options = {
    "fraction", "epochs", "batch", "lr", "target", "rounds", "threads", "csv", "save-weights", "checkpoint",
    "dp-noise", "dp-clip", "dp-adaptive", "dp-estimator", "dp-weight-cap", "dp-delta", "dp-budget"};

template <class Run>
int train(const examples::CommandLine& cli, const federated::Config& config, Run& run);

/// Why a run has ended (federated::run_end), naming the option that lets
/// it go on.
std::string why_ended(const federated::RunEnd& end, const federated::Config& config) {
    std::string limits;
    const auto add = [&](const std::string& limit) { limits += (limits.empty() ? "" : ", and ") + limit; };
    if (end.at_target) {
        char target[32];
        std::snprintf(target, sizeof target, "%.2f%%", 100 * *config.target_accuracy);
        add(std::string("its model meets the target of ") + target + " (a higher --target)");
    }
    if (end.all_rounds_done) {
        add("its " + std::to_string(config.rounds) + " rounds are done (more --rounds)");
    }
    if (end.budget_spent) {
        add("its DP budget is spent (a larger --dp-budget)");
    }
    return limits;
}

/// A checkpoint of a run with these settings that has ended (its rounds
/// all done, its model meeting the target, or its DP budget spent):
/// restarting its model owner trains nothing, so it says so, and saves the
/// weights asked for, without reaching any party (they may be gone by
/// then). Anything else is left to the run, which checks it against its
/// parties and says what differs: a checkpoint of other settings, of more
/// rounds than --rounds, one this cannot read (of an older format, say) or
/// whose model does not fit the test set. `driver_settings`: those a secure
/// run records of its own (federated::secure_driver_settings).
bool report_finished(const examples::CommandLine& cli, const federated::Config& config,
                     const federated::RunSetup::Settings& driver_settings, const data::Dataset<float>& test) {
    const std::string& path = config.checkpoint_path;
    if (path.empty() || !std::filesystem::exists(path)) {
        return false;
    }
    using State = federated::TrainingState<nn::Sequential<float>>;
    std::optional<State> state;
    double accuracy = 0;
    try {
        state.emplace(load_checkpoint<State>(path));
        accuracy = training::evaluate(state->global_model, test, config.eval_batch).accuracy;
    } catch (const CheckpointError&) {
        return false;
    } catch (const ShapeError&) { // a model of another task: the resume says so
        return false;
    }
    const State& saved = *state;
    if (!federated::same_settings(saved.setup, config, driver_settings) || saved.rounds_done == 0 ||
        saved.rounds_done > config.rounds) {
        return false;
    }
    const auto end = federated::run_end(saved, config, accuracy);
    if (!end.ended()) {
        return false;
    }
    std::printf("'%s' holds a run that has ended after round %zu (%.2f%% test accuracy): %s; nothing to train, "
                "no party contacted\n",
                path.c_str(), saved.rounds_done, 100 * accuracy, why_ended(end, config).c_str());
    if (saved.dp) {
        std::printf("privacy spent: (epsilon, delta) = (%.4g, %g) after %s\n",
                    saved.dp->accountant.epsilon(config.dp->delta), config.dp->delta,
                    examples::rounds_charged(saved.rounds_done, saved.dp->accountant.steps()).c_str());
    }
    examples::save_final_weights(cli, saved.global_model);
    return true;
}

int run_model_owner(const examples::CommandLine& cli, const std::string& name, std::size_t clients) {
    examples::networked::refuse_worker_options(cli, name);
    examples::networked::refuse_options(cli, name, mask_floor_options,
                                        "a data owner's (give it to each client's process)");
    federated::Config config = examples::federated_config(cli, 2000, 1.0, 0.97);
    const bool secure = examples::secure_aggregation(cli, "networked_mnist");
    if (secure) {
        config.aggregation = federated::Aggregation::secure; // with --dp-*: the clients add the noise in shares
    }
    examples::check_save_weights(cli);
    if (!cli.has("threads")) {
        config.threads = clients; // the clients train in their own processes, all at once
    }
    const std::string dir = cli.text("data", FEDPP_DATA_DIR "/mnist");
    const auto test = data::load_mnist<float>(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
    federated::RemoteParties parties;
    parties.own_name = name;
    parties.aggregator = "aggregator";
    for (std::size_t k = 0; k < clients; ++k) {
        parties.clients.push_back(client_name(k));
    }
    parties.transport = std::make_unique<grpc::GrpcTransport>(name, examples::networked::credentials(cli, name),
                                                              examples::networked::peers(cli));
    Generator generator(config.seed + 1); // the model's own seed
    nn::Sequential<float> model(nn::Linear<float>(784, 200, generator), nn::ReLU{},
                                nn::Linear<float>(200, 200, generator), nn::ReLU{},
                                nn::Linear<float>(200, 10, generator));
    std::printf("MNIST 2NN, %zu client processes, C = %g, E = %zu, B = %zu, lr = %g, target %.2f%%\n", clients,
                config.client_fraction, config.local.epochs, config.local.batch_size, config.local.learning_rate,
                100 * *config.target_accuracy);
    examples::print_dp_settings(config);
    if (cli.has("checkpoint")) {
        config.checkpoint_path = cli.text("checkpoint", "");
    }
    federated::RunSetup::Settings driver_settings; // a secure run's own, recorded in its checkpoints
#ifdef FEDPP_EXAMPLES_SECURE_AGGREGATION
    std::optional<secagg::SecureRoundOptions> options;
    if (secure) {
        options = examples::secure_round_options(config);
        driver_settings = federated::secure_driver_settings(config, *options);
    }
#endif
    const std::string& path = config.checkpoint_path;
    if (report_finished(cli, config, driver_settings, test)) {
        return 0;
    }
    try {
#ifdef FEDPP_EXAMPLES_SECURE_AGGREGATION
        if (secure) {
            federated::SecureFederatedAveraging<nn::Sequential<float>> run(std::move(model), std::move(parties), test,
                                                                           config, *options);
            return train(cli, config, run);
        }
#endif
        federated::FederatedAveraging<nn::Sequential<float>> run(std::move(model), std::move(parties), test, config);
        return train(cli, config, run);
    } catch (const NetworkError& e) {
        if (path.empty() || !std::filesystem::exists(path)) {
            throw;
        }
        throw NetworkError(std::string(e.what()) + " (the checkpoint '" + path + "' holds the last round saved: " +
                           "start the model owner again once every party is up, and it goes on from there)");
    } catch (const CheckpointMismatchError& e) {
        throw CheckpointMismatchError(std::string(e.what()) + ": start with the options it was saved with, or " +
                                      "remove '" + path + "' to start a new run");
    }
}

/// A run resumed from its checkpoint: from which round, and whether that
/// run had already ended (then nothing is trained), naming each limit.
template <class Run>
void report_resumed(const Run& run, const federated::Config& config) {
    std::printf("resumed from '%s' after round %zu\n", config.checkpoint_path.c_str(), run.rounds_done());
    const federated::RunEnd end = run.end();
    if (end.ended()) {
        std::printf("nothing to train: %s\n", why_ended(end, config).c_str());
    }
}

template <class Run>
int train(const examples::CommandLine& cli, const federated::Config& config, Run& run) {
    if (!config.checkpoint_path.empty() && std::filesystem::exists(config.checkpoint_path)) {
        run.resume_from(config.checkpoint_path);
        report_resumed(run, config);
    }
    const auto metrics = examples::run_with_progress(run, cli);
    examples::print_dp_spent(run);
    examples::save_final_weights(cli, run.global_model());
    if (metrics.empty()) {
        return 0;
    }
    if (examples::no_round_aggregated(metrics)) {
        return 1;
    }
    const auto& last = metrics.back();
    std::printf("%s %.2f%% test accuracy at round %zu (%.3f s per round)\n",
                last.test_accuracy >= *config.target_accuracy ? "reached" : "ended at", 100 * last.test_accuracy,
                last.round, last.elapsed_seconds / static_cast<double>(metrics.size()));
    return 0;
}

int networked_mnist(const examples::CommandLine& cli) {
    const std::string name = examples::networked::party_name(cli);
    const std::size_t clients = examples::client_count(cli, 10);
    if (name != "me") {
        examples::networked::refuse_options(cli, name, model_owner_options, "the model owner's (party 'me')");
    }
    if (name == "aggregator") {
        return serve_aggregator(cli, name, clients);
    }
    if (name == "me") {
        return run_model_owner(cli, name, clients);
    }
    return serve_client(cli, name, clients);
}

} // namespace

int main(int argc, char** argv) {
    return examples::run_program(
        argc, argv,
        examples::networked::party_options(examples::with_dp_options(
            {{"data", "directory with the MNIST .gz files (default: the repository's data/mnist)"},
             {"partition", "iid | noniid (default iid; clients)"},
             {"aggregation", examples::aggregation_help},
             {"clients", "number of client processes (default 10)"},
             {"mask-clip-norm", "with --aggregation secure, a client masks its update clipped to this norm C (it "
                                "clips it itself), with a share of the DP noise of at least --mask-min-noise f "
                                "times C / sqrt(t), t the round's threshold, and in no round without DP (default: "
                                "no floor; both or neither)"},
             {"mask-min-noise", "a client's noise multiplier f: see --mask-clip-norm"},
             {"mask-min-own-noise", "with --mask-clip-norm and --mask-min-noise, a client's own share of the noise "
                                    "is at least this g times C, whatever t (default 0)"},
             {"fraction", "client fraction C (default 1: every client, every round)"},
             {"epochs", "local epochs E (default 1)"},
             {"batch", "local batch size B (default 10)"},
             {"lr", "learning rate (default 0.1)"},
             {"target", "target test accuracy (default 0.97)"},
             {"rounds", "maximum number of rounds (default 2000)"},
             {"threads", "clients trained at once (default: all)"},
             {"seed", "seed (default 1)"},
             {"csv", "write per-round metrics to this CSV file"},
             {"save-weights", examples::save_weights_help},
             {"checkpoint", "the model owner saves its state here each round, and resumes from it if it exists"}})),
        networked_mnist);
}
