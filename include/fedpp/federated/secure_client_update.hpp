// fedpp: what a client of a secure run without DP masks: its update.
//
// At client k (SecureClientTraining): train a copy of the global model,
// then replace it by the update, trained - global, which is what it masks
// with its example count as weight. The model owner adds the unmasked mean
// update to the global model. Masking updates rather than trained models
// keeps the masked values small (the encoding's range, [-8, 8] by default,
// bounds what a round moves, not the model's parameters), and an update
// that does not fit that range, or is not finite, is refused at the
// client: the client is left out of the round with the reason, rather than
// its values clipped without a word.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/federated/client_update.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/worker.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/nn/parameter_checks.hpp"
#include "fedpp/privacy/clipping.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace fedpp::detail {

/// Client `client`'s training in round `round` of a secure run without DP,
/// at its worker (see the file comment): the model then holds the update,
/// each of whose values lies in [-range, range]; the result is the
/// training's mean loss.
template <class M, class F>
struct SecureClientTraining {
    using Dataset = data::Dataset<typename M::scalar_type>;

    double operator()(M& model, Dataset& data, const training::LocalTraining& local, const std::uint64_t& seed,
                      const std::uint64_t& client, const std::uint64_t& round, const double& range) const {
        const M global = model.copy();
        const double loss = ClientTraining<M, F>{}(model, data, local, seed, client, round);
        M update = privacy::model_update(model, global);
        check_encodable(update, range);
        nn::load_parameters(model, update);
        return loss;
    }

    /// ArgumentError unless every value of `update` is finite and within
    /// [-range, range].
    static void check_encodable(const M& update, double range) {
        const auto parameters = update.parameters();
        if (const std::size_t k = first_non_finite(parameters); k != parameters.size()) {
            throw ArgumentError("the client's update has a value that is not finite (NaN or infinite) in "
                                "parameter " + std::to_string(k) + ": it cannot be masked");
        }
        for (std::size_t k = 0; k < parameters.size(); ++k) {
            const auto& values = parameters[k].value();
            if (values.size() != 0 && static_cast<double>(values.cwiseAbs().maxCoeff()) > range) { // (not how far)
                throw ArgumentError("the client's update has a value in parameter " + std::to_string(k) +
                                    " outside secure aggregation's range [-" + std::to_string(range) + ", " +
                                    std::to_string(range) +
                                    "] (SecureRoundOptions::encoding.clipping_range): left out rather than clipped");
            }
        }
    }

    static std::string computation_name() { return wrapped_computation_name<M, F>("fedpp.federated.secure:"); }
};

/// Secure client training without DP, by type.
template <class M>
using SecureTrainClient = double (*)(Worker<federated::Client>&, const Pointer<M, federated::Client>&,
                                     const Pointer<data::Dataset<typename M::scalar_type>, federated::Client>&,
                                     const training::LocalTraining&, std::uint64_t, std::uint64_t, std::uint64_t,
                                     double);

template <class M, class Update>
double secure_train_client_with(Worker<federated::Client>& worker, const Pointer<M, federated::Client>& model,
                                const Pointer<data::Dataset<typename M::scalar_type>, federated::Client>& data,
                                const training::LocalTraining& local, std::uint64_t seed, std::uint64_t client,
                                std::uint64_t round, double range) {
    return worker.run(SecureClientTraining<M, Update>{}, model, data, local, seed, client, round, range).get();
}

} // namespace fedpp::detail
