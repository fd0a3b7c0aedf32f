// fedpp: what a client does in a round of a federated run.
#pragma once

#include "fedpp/base/random.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/training/local_training.hpp"

#include <cstddef>
#include <functional>

namespace fedpp::federated {

/// What a client does with the global model and its data: by default
/// training::train_locally. Replaceable (for other losses, or to inject
/// faults in tests). Runs at the client's worker; returns the mean training
/// loss.
template <class M>
using ClientUpdate = std::function<double(M& model, const data::Dataset<typename M::scalar_type>& data,
                                          const training::LocalTraining& config, Generator& generator,
                                          std::size_t client, std::size_t round)>;

/// E epochs of minibatch SGD on the client's data (train_locally).
template <class M>
ClientUpdate<M> default_client_update() {
    return [](M& model, const data::Dataset<typename M::scalar_type>& data, const training::LocalTraining& local,
              Generator& generator, std::size_t, std::size_t) {
        return training::train_locally(model, data, local, generator);
    };
}

} // namespace fedpp::federated
