// fedpp: streaming aggregation at a trusted location.
//
// fedavg() averages models that are all present at once. In a federated run
// with many clients that would hold every client's update in memory; a
// WeightedSum instead lives at the aggregator and takes updates one at a
// time, so peak memory grows with the model, not with the number of clients:
//
//     auto sum = fedpp::send(fedpp::WeightedSum<Model>(reference_model), aggregator);
//     fedpp::accumulate(sum, std::move(update_at_aggregator), examples);   // for each client
//     Model average = fedpp::average_of(sum).get();
//
// Each add() is all-or-nothing: an update with another layout, a NaN or an
// infinity, or a bad weight is rejected with an exception and leaves the sum
// exactly as it was, so nothing from a faulty client reaches the average.
#pragma once

#include "fedpp/codecs.hpp"
#include "fedpp/errors.hpp"
#include "fedpp/fedavg.hpp"
#include "fedpp/location.hpp"
#include "fedpp/pointer.hpp"
#include "fedpp/serialization.hpp"

#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace fedpp {

namespace detail {

/// The shapes of a model's parameters, in order: what an update must match.
using ParameterShapes = std::vector<std::pair<Index, Index>>;

template <Averageable M>
ParameterShapes shapes_of(const M& model) {
    ParameterShapes shapes;
    for (const auto& p : parameters_of(model)) {
        shapes.emplace_back(p.rows(), p.cols());
    }
    return shapes;
}

/// ShapeError unless `update`'s parameters have `shapes`; AggregationError
/// if it holds a NaN or an infinity.
template <Averageable M>
void check_update(const char* operation, const ParameterShapes& shapes, const M& update) {
    const auto params = parameters_of(update);
    if (params.size() != shapes.size()) {
        throw ShapeError(std::string(operation) + ": the update has " + std::to_string(params.size()) +
                         " parameter tensors, expected " + std::to_string(shapes.size()));
    }
    for (std::size_t k = 0; k < params.size(); ++k) {
        if (params[k].rows() != shapes[k].first || params[k].cols() != shapes[k].second) {
            throw ShapeError(std::string(operation) + ": parameter " + std::to_string(k) + " of the update is " +
                             params[k].shape_string() + ", expected " + shape_of(shapes[k].first, shapes[k].second));
        }
        if (!all_finite(params[k].value())) {
            throw AggregationError(std::string(operation) + ": parameter " + std::to_string(k) +
                                   " of the update holds NaN or infinite values");
        }
    }
}

/// Tag: the caller has already passed the update through check_update
/// against the sum's shapes (the federated driver does, in parallel, before
/// the update's turn to be added in order).
struct CheckedUpdate {};

} // namespace detail

/// sum_k w_k m_k and sum_k w_k over the models added so far.
template <Averageable M>
class WeightedSum {
public:
    using model_type = M;

    /// An empty sum for models laid out as `reference` (its values are not
    /// used).
    explicit WeightedSum(const M& reference) : WeightedSum(detail::independent_copy(reference), 0.0, 0) {
        reset();
    }

    /// For the codec: a sum with the given state.
    WeightedSum(M sum, double total_weight, std::size_t count)
        : sum_(std::move(sum)), sums_(detail::parameters_of(sum_)), shapes_(detail::shapes_of(sum_)),
          total_weight_(total_weight), count_(count) {}

    WeightedSum(WeightedSum&&) noexcept = default;
    WeightedSum& operator=(WeightedSum&&) noexcept = default;
    WeightedSum(const WeightedSum&) = delete;
    WeightedSum& operator=(const WeightedSum&) = delete;
    ~WeightedSum() = default;

    /// Adds weight * model. Throws (ShapeError, AggregationError) and
    /// changes nothing if the model's layout differs from the sum's, if it
    /// holds a NaN or an infinity, or if the weight is negative or not
    /// finite.
    void add(const M& model, double weight) {
        check_weight(weight);
        detail::check_update("WeightedSum::add", shapes_, model);
        add_values(model, weight);
    }

    /// add() for an update already checked against shapes().
    void add(const M& model, double weight, detail::CheckedUpdate) {
        check_weight(weight);
        add_values(model, weight);
    }

    /// Adds another sum's models and weights, as if they had been added
    /// here. ShapeError if the two sums are of differently laid out models.
    void merge(const WeightedSum& other) {
        if (other.shapes_ != shapes_) {
            throw ShapeError("WeightedSum::merge: the two sums are of models with different parameter shapes");
        }
        for (std::size_t k = 0; k < sums_.size(); ++k) {
            sums_[k].value() += other.sums_[k].value();
        }
        total_weight_ += other.total_weight_;
        count_ += other.count_;
    }

    /// The weighted average. AggregationError if nothing (or only zero
    /// weight) was added.
    [[nodiscard]] M average() const {
        if (!(total_weight_ > 0)) {
            throw AggregationError("WeightedSum::average: " + std::to_string(count_) +
                                   " models with a total weight of zero; nothing to average");
        }
        M result = detail::independent_copy(sum_);
        for (auto& p : detail::parameters_of(result)) {
            p.value() /= static_cast<Scalar>(total_weight_);
        }
        return result;
    }

    /// Forgets everything added, keeping the memory.
    void reset() noexcept {
        for (auto& p : sums_) {
            p.value().setZero();
        }
        total_weight_ = 0;
        count_ = 0;
    }

    [[nodiscard]] double total_weight() const noexcept { return total_weight_; }
    [[nodiscard]] std::size_t count() const noexcept { return count_; }
    [[nodiscard]] const M& sum() const noexcept { return sum_; }
    /// The parameter shapes an update must have.
    [[nodiscard]] const detail::ParameterShapes& shapes() const noexcept { return shapes_; }

private:
    using Parameters = decltype(detail::parameters_of(std::declval<const M&>()));
    using Scalar = typename Parameters::value_type::scalar_type;

    static void check_weight(double weight) {
        if (!std::isfinite(weight) || weight < 0) {
            throw AggregationError("WeightedSum::add: the weight is " + std::to_string(weight) +
                                   "; weights must be finite and >= 0");
        }
    }

    void add_values(const M& model, double weight) {
        const auto params = detail::parameters_of(model);
        for (std::size_t k = 0; k < params.size(); ++k) {
            sums_[k].value() += static_cast<Scalar>(weight) * params[k].value();
        }
        total_weight_ += weight;
        ++count_;
    }

    M sum_;
    Parameters sums_;                 // handles to sum_'s parameters, taken once
    detail::ParameterShapes shapes_;
    double total_weight_ = 0;
    std::size_t count_ = 0;
};

template <class M>
struct Codec<WeightedSum<M>> {
    static std::string type_name() { return "fedpp::WeightedSum<" + Codec<M>::type_name() + ">"; }
    static void encode(const WeightedSum<M>& sum, ByteWriter& out) {
        out.write(sum.total_weight());
        out.write<std::uint64_t>(sum.count());
        Codec<M>::encode(sum.sum(), out);
    }
    static WeightedSum<M> decode(ByteReader& in) {
        const std::size_t at = in.position();
        const auto total = in.read<double>();
        const auto count = in.read<std::uint64_t>();
        if (!std::isfinite(total) || total < 0) {
            in.fail("a weighted sum's total weight is " + std::to_string(total), at);
        }
        return WeightedSum<M>(Codec<M>::decode(in), total, static_cast<std::size_t>(count));
    }
};

/// Adds the model `update` points to, with `weight`, to the sum `sum` points
/// to, at their trusted worker, and deletes the update there (also when it
/// is rejected; the exception then says why).
template <class M, Location L>
void accumulate(Pointer<WeightedSum<M>, L>& sum, Pointer<M, L>&& update, double weight) {
    static_assert(TrustedLocation<L>, "fedpp::accumulate: aggregation must run at a trusted location; move the "
                                      "update to a TrustedAggregator first");
    Pointer<M, L> consumed = std::move(update); // deleted at the worker when this returns or throws
    detail::run_at<L>(detail::PointerAccess::seam(sum), sum.worker_id(), "fedpp::accumulate",
                      [weight](WeightedSum<M>& s, M& model) { s.add(model, weight); }, sum, consumed);
}

/// A pointer to the average of what `sum` holds, computed at its trusted
/// worker.
template <class M, Location L>
[[nodiscard]] Pointer<M, L> average_of(const Pointer<WeightedSum<M>, L>& sum) {
    static_assert(TrustedLocation<L>, "fedpp::average_of: aggregation must run at a trusted location");
    detail::PointerAccess::require_live(sum, "fedpp::average_of");
    return detail::run_at<L>(detail::PointerAccess::seam(sum), sum.worker_id(), "fedpp::average_of",
                             [](WeightedSum<M>& s) { return s.average(); }, sum);
}

} // namespace fedpp
