// fedpp: what a client does in a round of a federated run.
//
// A client update is a function that captures nothing, called as
//     double update(M& model, const data::Dataset<T>& data, const training::LocalTraining& local,
//                   Generator& generator, std::size_t client, std::size_t round)
// at the client's worker: it trains `model` on `data` and returns the mean
// training loss. The default is TrainLocally (E epochs of minibatch SGD).
// Others (other losses, or faults injected by tests) are lambdas with an
// empty []; to run in a client process of their own, give them a name with
// fedpp::computation<"name">.
#pragma once

#include "fedpp/base/random.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/federated/parties.hpp"
#include "fedpp/located/computation.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/worker.hpp"
#include "fedpp/training/local_training.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace fedpp::federated {

/// E epochs of minibatch SGD on the client's data (training::train_locally).
struct TrainLocally {
    template <class M>
    double operator()(M& model, const data::Dataset<typename M::scalar_type>& data,
                      const training::LocalTraining& local, Generator& generator, std::size_t /*client*/,
                      std::size_t /*round*/) const {
        return training::train_locally(model, data, local, generator);
    }
};

/// A client update for models M (see the file comment).
template <class F, class M>
concept ClientUpdate =
    Runnable<F> && std::convertible_to<std::invoke_result_t<typename detail::FunctionOf<F>::type&, M&,
                                                            const data::Dataset<typename M::scalar_type>&,
                                                            const training::LocalTraining&, Generator&,
                                                            std::size_t, std::size_t>,
                                       double>;

} // namespace fedpp::federated

namespace fedpp::detail {

/// Client `client`'s training in round `round`, run at its worker: the
/// update F with a generator seeded for (run, round, client).
template <class M, class F>
struct ClientTraining {
    using Dataset = data::Dataset<typename M::scalar_type>;

    double operator()(M& model, Dataset& data, const training::LocalTraining& local, const std::uint64_t& seed,
                      const std::uint64_t& client, const std::uint64_t& round) const {
        Generator generator(seed);
        typename FunctionOf<F>::type update{};
        return static_cast<double>(std::invoke(update, model, data, local, generator,
                                               static_cast<std::size_t>(client), static_cast<std::size_t>(round)));
    }

    /// The name by which a client process finds it: the default update, or
    /// a named one; empty (this process only) for an unnamed lambda.
    static std::string computation_name() {
        if constexpr (std::is_same_v<F, federated::TrainLocally>) {
            return "fedpp.federated.train_locally";
        } else {
            const std::string given = FunctionOf<F>::name();
            return given.empty() ? given : "fedpp.federated.client_update:" + given;
        }
    }
};

/// The name of a computation that wraps ClientTraining<M, F> (DP clipping,
/// secure masking), `prefix` before the update's own name; empty, as the
/// update's, for an unnamed lambda.
template <class M, class F>
std::string wrapped_computation_name(const char* prefix) {
    const std::string name = ClientTraining<M, F>::computation_name();
    return name.empty() ? name : prefix + name;
}

/// Trains a client's model where it is: the driver's client update, by type.
template <class M>
using TrainClient = double (*)(Worker<federated::Client>&, const Pointer<M, federated::Client>&,
                               const Pointer<data::Dataset<typename M::scalar_type>, federated::Client>&,
                               const training::LocalTraining&, std::uint64_t, std::uint64_t, std::uint64_t);

/// Client training with update `Update`, run at the client's worker.
template <class M, class Update>
double train_client_with(Worker<federated::Client>& worker, const Pointer<M, federated::Client>& model,
                         const Pointer<data::Dataset<typename M::scalar_type>, federated::Client>& data,
                         const training::LocalTraining& local, std::uint64_t seed, std::uint64_t client,
                         std::uint64_t round) {
    return worker.run(ClientTraining<M, Update>{}, model, data, local, seed, client, round).get();
}

} // namespace fedpp::detail
