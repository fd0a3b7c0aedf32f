// fedpp: what every model provides.
//
// A model is any type with
//   scalar_type                      float or double
//   parameters() const               handles to its trainable tensors, in a
//                                    fixed order (they share storage with the
//                                    model, so an optimiser updates it)
//   copy() const                     an independent deep copy
// and may provide
//   for_each_parameter(f) const      f(p) for each of parameters(), in their
//                                    order, without making handles (fedpp's
//                                    layers and Sequential; the aggregations
//                                    rely on it for those alone)
// Models are move-only; copies are explicit (copy()), as in the tutorial's
// `model.copy()`. nn::Linear and nn::Sequential are models; so is a plain
// Tensor for the purposes of averaging (see fedavg.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/nn/parameter_checks.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <concepts>
#include <string>
#include <vector>

namespace fedpp::nn {

template <class M>
concept Model = requires(const M& model) {
    typename M::scalar_type;
    { model.parameters() } -> std::same_as<std::vector<Tensor<typename M::scalar_type>>>;
    { model.copy() } -> std::same_as<M>;
};

/// Number of scalars in all of a model's parameters.
template <Model M>
[[nodiscard]] Index parameter_count(const M& model) {
    Index count = 0;
    for (const auto& p : model.parameters()) {
        count += p.size();
    }
    return count;
}

/// Copies the parameter values of `source` into `target`, keeping target's
/// tensors (and so any optimiser attached to them). ShapeError if the two
/// models' parameters differ in number or shape. The C++ spelling of the
/// tutorial's `model.weight.set_(...)`, for every parameter at once.
template <Model M>
void load_parameters(M& target, const M& source) {
    const auto to = target.parameters();
    const auto from = source.parameters();
    detail::check_layout("load_parameters", detail::shapes_of(to), from, "the source");
    for (std::size_t i = 0; i < to.size(); ++i) {
        auto target_tensor = to[i];
        target_tensor.value() = from[i].value();
    }
}

} // namespace fedpp::nn
