// fedpp: training and evaluation forwards (PyTorch's model.train() and
// model.eval(), as an argument of the call rather than a state of the model).
//
//     auto scores = model(x);                                 // evaluation: Dropout passes x through
//     auto scores = model(x, nn::TrainingMode{generator});    // training: Dropout drops, drawing from generator
//
// A model is never left in the wrong mode, the same model can be evaluated
// and trained at once by different threads, and dropout's randomness comes
// from the generator the caller passes: training::train_locally passes the
// one it shuffles with, which the federated driver derives from (seed,
// round, client), so runs are bitwise reproducible for any thread count.
#pragma once

#include "fedpp/base/random.hpp"
#include "fedpp/tensor/tensor.hpp"

namespace fedpp::nn {

/// Passed to a forward to run it as in training; the randomness of layers
/// that train differently (nn::Dropout) is drawn from `generator`.
struct TrainingMode {
    Generator& generator;
};

/// model(x, TrainingMode{generator}) if the model has a training forward
/// (nn::Sequential, nn::Dropout), model(x) otherwise (nn::Linear: the same
/// either way).
template <class M, class T>
[[nodiscard]] Tensor<T> forward_training(const M& model, const Tensor<T>& x, Generator& generator) {
    if constexpr (requires { model(x, TrainingMode{generator}); }) {
        return model(x, TrainingMode{generator});
    } else {
        return model(x);
    }
}

} // namespace fedpp::nn
