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

/// Runs the tutorial's loop with workers that already hold their data.
/// `on_round(round, bobs_loss, alices_loss)` is called after each round.
template <class T>
Result<T> train(fedpp::Worker<Bob>& bob, fedpp::Worker<Alice>& alice, fedpp::Worker<Secure>& secure_worker,
                const fedpp::Pointer<fedpp::Tensor<T>, Bob>& bobs_data,
                const fedpp::Pointer<fedpp::Tensor<T>, Bob>& bobs_target,
                const fedpp::Pointer<fedpp::Tensor<T>, Alice>& alices_data,
                const fedpp::Pointer<fedpp::Tensor<T>, Alice>& alices_target, fedpp::nn::Linear<T> model,
                const Settings<T>& settings, const std::function<void(int, T, T)>& on_round = {}) {
    using namespace fedpp;
    // One local step, run where the model and the data are, with the
    // learning rate as an argument (a computation captures nothing). SGD
    // without momentum keeps no state, so a fresh optimiser per step is the
    // same as the tutorial's one optimiser per round. Named, so that a
    // worker in another process of this program can run it.
    constexpr auto local_step = computation<"tutorial.local_step">(
        [](nn::Linear<T>& m, Tensor<T>& data, Tensor<T>& target, T lr) {
            optim::SGD<T> opt(m.parameters(), lr);
            opt.zero_grad();
            auto pred = m(data);
            auto loss = (pred - target).pow(2).sum();
            loss.backward();
            opt.step();
            return loss.item();
        });
    const T lr = settings.learning_rate;

    Result<T> result{{}, {}, std::move(model)};
    for (int a_iter = 0; a_iter < settings.iterations; ++a_iter) {
        auto bobs_model = send(result.model.copy(), bob);
        auto alices_model = send(result.model.copy(), alice);
        T bobs_loss = 0;
        T alices_loss = 0;
        for (int wi = 0; wi < settings.worker_iters; ++wi) {
            bobs_loss = bob.run(local_step, bobs_model, bobs_data, bobs_target, lr).get();
            alices_loss = alice.run(local_step, alices_model, alices_data, alices_target, lr).get();
        }
        auto alices_at_secure = alices_model.move(secure_worker);
        auto bobs_at_secure = bobs_model.move(secure_worker);
        result.model = fedavg(alices_at_secure, bobs_at_secure).get();
        result.bob_losses.push_back(bobs_loss);
        result.alice_losses.push_back(alices_loss);
        if (on_round) {
            on_round(a_iter, bobs_loss, alices_loss);
        }
    }
    return result;
}

/// The whole tutorial, from creating the workers to the averaged model.
template <class T>
Result<T> run(fedpp::nn::Linear<T> model, const Settings<T>& settings = {},
              const std::function<void(int, T, T)>& on_round = {}) {
    using namespace fedpp;
    Federation hook;
    Worker<Bob> bob(hook);
    Worker<Alice> alice(hook);
    Worker<Secure> secure_worker(hook);
    const auto data = toy_data<T>();
    const auto target = toy_target<T>();
    auto bobs_data = send(data.slice_rows(0, 2), bob);
    auto bobs_target = send(target.slice_rows(0, 2), bob);
    auto alices_data = send(data.slice_rows(2, 4), alice);
    auto alices_target = send(target.slice_rows(2, 4), alice);
    return train(bob, alice, secure_worker, bobs_data, bobs_target, alices_data, alices_target, std::move(model),
                 settings, on_round);
}

} // namespace tutorial
