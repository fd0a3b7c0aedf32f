// fedpp: DP-FedAvg with secure aggregation (distributed DP): each client
// adds its share of the noise where it masks its update, so that the
// aggregator never sees a noise-free sum; a data owner that is a party of
// its own draws its share from the run's seed mixed with a secret of its
// own (Policy::private_noise, secagg::MaskNoise), so that the model owner,
// who knows the seed, cannot recompute it either (in one process, the
// share comes from the seed alone: simulation, reproducible).
//
// At client k (SecureDpClientTraining): train, clip the update (trained -
// global) to the clip norm S and scale it by its weight w_k; then, where it
// is masked, add N(0, (z S)^2 / t) per value, where t is the round's
// threshold (the fewest survivors the secure sum is released for): the
// released sum of any t or more clients then carries noise of variance at
// least (z S)^2, what the accountant assumes. The model owner adds sum /
// (q W) to the global model (privacy/dp_estimator.hpp). Fixed clipping
// only: adaptive clipping's count would need a secure sum of its own.
#pragma once

#include "fedpp/federated/client_update.hpp"
#include "fedpp/federated/dp_round.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/worker.hpp"
#include "fedpp/privacy/clipping.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace fedpp::detail {

/// Client `client`'s DP training in round `round` of a secure run, at its
/// worker (see the file comment): the model then holds w_k clip(update),
/// to which the client adds its noise share where it masks it
/// (secagg::MaskNoise); the result, left there, is 1 if the update was
/// within the clip norm.
template <class M, class F>
struct SecureDpClientTraining {
    using Dataset = data::Dataset<typename M::scalar_type>;

    double operator()(M& model, Dataset& data, const training::LocalTraining& local, const std::uint64_t& seed,
                      const std::uint64_t& client, const std::uint64_t& round, const double& clip_norm,
                      const double& weight) const {
        const double within = DpClientTraining<M, F>{}(model, data, local, seed, client, round, clip_norm);
        scale_parameters(model, weight);
        return within;
    }

    static std::string computation_name() { return wrapped_computation_name<M, F>("fedpp.federated.secure_dp:"); }
};

/// Secure DP client training, by type.
template <class M>
using SecureDpTrainClient = Pointer<double, federated::Client> (*)(
    Worker<federated::Client>&, const Pointer<M, federated::Client>&,
    const Pointer<data::Dataset<typename M::scalar_type>, federated::Client>&, const training::LocalTraining&,
    std::uint64_t, std::uint64_t, std::uint64_t, double, double);

template <class M, class Update>
Pointer<double, federated::Client>
secure_dp_train_client_with(Worker<federated::Client>& worker, const Pointer<M, federated::Client>& model,
                            const Pointer<data::Dataset<typename M::scalar_type>, federated::Client>& data,
                            const training::LocalTraining& local, std::uint64_t seed, std::uint64_t client,
                            std::uint64_t round, double clip_norm, double weight) {
    return worker.run(SecureDpClientTraining<M, Update>{}, model, data, local, seed, client, round, clip_norm,
                      weight);
}

/// The standard deviation of each client's noise share when at least `t`
/// clients' shares are in a released sum whose noise must have standard
/// deviation `stddev`.
inline double noise_share_stddev(double stddev, std::uint32_t t) noexcept {
    return stddev / std::sqrt(static_cast<double>(t));
}

} // namespace fedpp::detail
