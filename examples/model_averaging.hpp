// The model-averaging workflow of PySyft's tutorial "Federated Learning with
// Model Averaging", in fedpp. examples/model_averaging.cpp runs it and prints
// what the tutorial prints; the tests run it to compare with PyTorch and to
// check, with the transfer log, who saw what; the benchmarks time it.
#pragma once

#include <fedpp/fedpp.hpp>

#include <functional>
#include <vector>

namespace tutorial {

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Secure = fedpp::TrustedAggregator<"secure_worker">;

/// The tutorial's toy data: [[0,0],[0,1],[1,0],[1,1]] -> [0,0,1,1].
template <class T>
fedpp::Tensor<T> toy_data() {
    return {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
}
template <class T>
fedpp::Tensor<T> toy_target() {
    return {{0}, {0}, {1}, {1}};
}

template <class T>
struct Settings {
    int iterations = 10;  // rounds
    int worker_iters = 5; // local steps per round
    T learning_rate = T(0.1);
};

template <class T>
struct Result {
    std::vector<T> bob_losses;   // Bob's last local loss of each round
    std::vector<T> alice_losses; // Alice's
    fedpp::nn::Linear<T> model;  // the averaged model after the last round
};

/// One local step, run where the model and the data are, with the learning
/// rate as an argument (a computation captures nothing). SGD without
/// momentum keeps no state, so a fresh optimiser per step is the same as the
/// tutorial's one optimiser per round. Named, so that a worker in another
/// process of this program can run it.
template <class T>
inline constexpr auto local_step = fedpp::computation<"tutorial.local_step">(
    [](fedpp::nn::Linear<T>& m, fedpp::Tensor<T>& data, fedpp::Tensor<T>& target, T lr) {
        fedpp::optim::SGD<T> opt(m.parameters(), lr);
        opt.zero_grad();
        auto pred = m(data);
        auto loss = (pred - target).pow(2).sum();
        loss.backward();
        opt.step();
        return loss.item();
    });

/// Runs the tutorial's loop with workers that already hold their data,
/// each round's two trained models averaged by `average(bobs_model,
/// alices_model, global)`, which returns the new global model.
/// `on_round(round, bobs_loss, alices_loss)` is called after each round.
template <class T, class Average>
Result<T> train_with(fedpp::Worker<Bob>& bob, fedpp::Worker<Alice>& alice,
                     const fedpp::Pointer<fedpp::Tensor<T>, Bob>& bobs_data,
                     const fedpp::Pointer<fedpp::Tensor<T>, Bob>& bobs_target,
                     const fedpp::Pointer<fedpp::Tensor<T>, Alice>& alices_data,
                     const fedpp::Pointer<fedpp::Tensor<T>, Alice>& alices_target, fedpp::nn::Linear<T> model,
                     const Settings<T>& settings, const std::function<void(int, T, T)>& on_round, Average average) {
    using namespace fedpp;
    const T lr = settings.learning_rate;

    Result<T> result{{}, {}, std::move(model)};
    for (int a_iter = 0; a_iter < settings.iterations; ++a_iter) {
        auto bobs_model = send(result.model.copy(), bob);
        auto alices_model = send(result.model.copy(), alice);
        T bobs_loss = 0;
        T alices_loss = 0;
        for (int wi = 0; wi < settings.worker_iters; ++wi) {
            bobs_loss = bob.run(local_step<T>, bobs_model, bobs_data, bobs_target, lr).get();
            alices_loss = alice.run(local_step<T>, alices_model, alices_data, alices_target, lr).get();
        }
        result.model = average(bobs_model, alices_model, result.model);
        result.bob_losses.push_back(bobs_loss);
        result.alice_losses.push_back(alices_loss);
        if (on_round) {
            on_round(a_iter, bobs_loss, alices_loss);
        }
    }
    return result;
}

/// The tutorial's averaging: both trained models move to the secure worker,
/// which averages them (FedAvg); only the average comes back.
inline constexpr auto average_at_secure_worker = [](fedpp::Worker<Secure>& secure_worker, auto& bobs_model,
                                                    auto& alices_model) {
    auto alices_at_secure = alices_model.move(secure_worker);
    auto bobs_at_secure = bobs_model.move(secure_worker);
    return fedavg(alices_at_secure, bobs_at_secure).get();
};

/// The tutorial's loop, averaged at the secure worker.
template <class T>
Result<T> train(fedpp::Worker<Bob>& bob, fedpp::Worker<Alice>& alice, fedpp::Worker<Secure>& secure_worker,
                const fedpp::Pointer<fedpp::Tensor<T>, Bob>& bobs_data,
                const fedpp::Pointer<fedpp::Tensor<T>, Bob>& bobs_target,
                const fedpp::Pointer<fedpp::Tensor<T>, Alice>& alices_data,
                const fedpp::Pointer<fedpp::Tensor<T>, Alice>& alices_target, fedpp::nn::Linear<T> model,
                const Settings<T>& settings, const std::function<void(int, T, T)>& on_round = {}) {
    return train_with(bob, alice, bobs_data, bobs_target, alices_data, alices_target, std::move(model), settings,
                      on_round, [&secure_worker](auto& bobs_model, auto& alices_model, const auto& /*global*/) {
                          return average_at_secure_worker(secure_worker, bobs_model, alices_model);
                      });
}

/// The whole tutorial, from creating the workers (the aggregator's location
/// `Aggregator`) to the averaged model: `average(bob, alice, aggregator,
/// bobs_model, alices_model, global)` combines each round's models.
template <class T, fedpp::Location Aggregator, class Average>
Result<T> run_with(fedpp::nn::Linear<T> model, const Settings<T>& settings,
                   const std::function<void(int, T, T)>& on_round, Average average) {
    using namespace fedpp;
    Federation hook;
    Worker<Bob> bob(hook);
    Worker<Alice> alice(hook);
    Worker<Aggregator> secure_worker(hook);
    const auto data = toy_data<T>();
    const auto target = toy_target<T>();
    auto bobs_data = send(data.slice_rows(0, 2), bob);
    auto bobs_target = send(target.slice_rows(0, 2), bob);
    auto alices_data = send(data.slice_rows(2, 4), alice);
    auto alices_target = send(target.slice_rows(2, 4), alice);
    return train_with(bob, alice, bobs_data, bobs_target, alices_data, alices_target, std::move(model), settings,
                      on_round, [&](auto& bobs_model, auto& alices_model, const auto& global) {
                          return average(bob, alice, secure_worker, bobs_model, alices_model, global);
                      });
}

/// The whole tutorial, the models averaged at the trusted secure worker.
template <class T>
Result<T> run(fedpp::nn::Linear<T> model, const Settings<T>& settings = {},
              const std::function<void(int, T, T)>& on_round = {}) {
    return run_with<T, Secure>(std::move(model), settings, on_round,
                               [](auto&, auto&, auto& secure_worker, auto& bobs_model, auto& alices_model,
                                  const auto& /*global*/) {
                                   return average_at_secure_worker(secure_worker, bobs_model, alices_model);
                               });
}

} // namespace tutorial
