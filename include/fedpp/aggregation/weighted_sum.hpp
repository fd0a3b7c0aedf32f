// fedpp: WeightedSum, the running sum of streaming aggregation.
//
// fedavg() averages models that are all present at once. In a federated run
// with many clients that would hold every client's update in memory; a
// WeightedSum instead lives at the aggregator and takes updates one at a
// time, so peak memory grows with the model, not with the number of clients
// (see accumulate.hpp for its use at a trusted worker).
//
// Each add() is all-or-nothing: an update with another layout, a NaN or an
// infinity, or a bad weight is rejected with an exception and leaves the sum
// exactly as it was, so nothing from a faulty client reaches the average.
#pragma once

#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/aggregation/checks.hpp"
#include "fedpp/aggregation/contributions.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/transport/computation.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace fedpp {

template <Averageable M>
class WeightedSum;

/// Proof that an update passed WeightedSum::check: the driver checks updates
/// in parallel, then adds them in a fixed order without checking again.
template <Averageable M>
class CheckedUpdate {
public:
    [[nodiscard]] const M& model() const noexcept { return *model_; }

private:
    friend class WeightedSum<M>;
    using Parameters = decltype(detail::parameters_of(std::declval<const M&>()));
    CheckedUpdate(const M& model, Parameters parameters) noexcept
        : model_(&model), parameters_(std::move(parameters)) {}
    const M* model_;
    Parameters parameters_; // the model's, as checked: add() reads them without asking the model again
};

template <class T>
struct Codec;

/// sum_k w_k m_k and sum_k w_k over the models added so far, both kept
/// divided by 2^e, e the weight_exponent of the largest weight added (a
/// power of two divides exactly): a weight of any finite magnitude is
/// normalised in double before it meets the model's scalar type.
template <Averageable M>
class WeightedSum {
public:
    using model_type = M;

    /// An empty sum for models laid out as `reference` (its values are not
    /// used).
    explicit WeightedSum(const M& reference) : WeightedSum(detail::independent_copy(reference), 0.0, 0, 0) {
        reset();
    }

    WeightedSum(WeightedSum&&) noexcept = default;
    WeightedSum& operator=(WeightedSum&&) noexcept = default;
    WeightedSum(const WeightedSum&) = delete;
    WeightedSum& operator=(const WeightedSum&) = delete;
    ~WeightedSum() = default;

    /// ShapeError if `update`'s layout differs from the sum's,
    /// AggregationError if it holds a NaN or an infinity; otherwise the
    /// proof that it may be added.
    [[nodiscard]] CheckedUpdate<M> check(const M& update) const {
        return CheckedUpdate<M>(update, detail::check_update("WeightedSum::add", shapes_, update));
    }

    /// Adds weight * model. Throws (ShapeError, AggregationError) and
    /// changes nothing if the model's layout differs from the sum's, if it
    /// holds a NaN or an infinity, or if the weight is negative or not
    /// finite.
    void add(const M& model, double weight) { add(check(model), weight); }

    /// add() for an update already checked. `contributor` is the data owner
    /// the update came from (see contributions()).
    void add(CheckedUpdate<M> update, double weight, ContributorId contributor = no_contributor) {
        check_open("WeightedSum::add");
        detail::check_weight("WeightedSum::add", weight, "the update");
        rescale_to(weight);
        const double scaled = std::ldexp(weight, -exponent_);
        const auto& params = update.parameters_;
        for (std::size_t k = 0; k < params.size(); ++k) {
            sums_[k].value() += static_cast<Scalar>(scaled) * params[k].value();
        }
        total_weight_ += scaled;
        ++count_;
        if (weight > 0 && contributor != no_contributor) {
            const auto at = std::lower_bound(contributors_.begin(), contributors_.end(), contributor,
                                             [](const Contributor& c, ContributorId id) { return c.id < id; });
            if (at == contributors_.end() || at->id != contributor) {
                contributors_.insert(at, {contributor, weight});
            } else {
                at->weight += weight;
            }
        }
    }

    /// Adds another sum's models and weights, as if they had been added
    /// here. ShapeError if the two sums are of differently laid out models.
    void merge(const WeightedSum& other) {
        check_open("WeightedSum::merge");
        other.check_open("WeightedSum::merge");
        if (other.shapes_ != shapes_) {
            throw ShapeError("WeightedSum::merge: the two sums are of models with different parameter shapes");
        }
        if (other.total_weight_ > 0) { // otherwise its sum is zero
            rescale_to(std::ldexp(1.0, other.exponent_));
            const double factor = std::ldexp(1.0, other.exponent_ - exponent_); // <= 1
            for (std::size_t k = 0; k < sums_.size(); ++k) {
                sums_[k].value() += static_cast<Scalar>(factor) * other.sums_[k].value();
            }
            total_weight_ += other.total_weight_ * factor;
        }
        count_ += other.count_;
        std::vector<Contributor> both; // each data owner once, its weights added
        both.reserve(contributors_.size() + other.contributors_.size());
        auto a = contributors_.begin();
        auto b = other.contributors_.begin();
        while (a != contributors_.end() || b != other.contributors_.end()) {
            if (b == other.contributors_.end() || (a != contributors_.end() && a->id < b->id)) {
                both.push_back(*a++);
            } else if (a == contributors_.end() || b->id < a->id) {
                both.push_back(*b++);
            } else {
                both.push_back({a->id, a->weight + b->weight});
                ++a;
                ++b;
            }
        }
        contributors_.swap(both);
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
    void reset() {
        for (auto& p : sums_) {
            p.value().setZero();
        }
        total_weight_ = 0;
        exponent_ = 0;
        count_ = 0;
        contributors_.clear();
        released_ = false;
    }

    /// Marks the sum's average as released (by an aggregator's average_of
    /// or DP release): until reset(), nothing more is added to it, merged
    /// from or into it, or released from it, as a second release would tell
    /// what was added in between (one data owner's model, perhaps).
    void mark_released() noexcept { released_ = true; }

    /// PermissionDeniedError, naming `operation`, if the sum was released.
    void check_open(const char* operation) const {
        if (released_) {
            throw PermissionDeniedError(std::string(operation) +
                                        ": this sum's average was released; reset it before adding to it, merging "
                                        "it or releasing it again (the difference of two releases would tell what "
                                        "was added in between)");
        }
    }

    /// The sum of the weights added (infinity if it overflows a double).
    [[nodiscard]] double total_weight() const noexcept { return std::ldexp(total_weight_, exponent_); }
    [[nodiscard]] std::size_t count() const noexcept { return count_; }
    /// How many different data owners (known to the store that holds the
    /// sum) added an update with a positive weight, their updates' weights
    /// added together at least `min_weight_ratio` of the largest such total
    /// (see WorkerRules). Not part of the sum's bytes: a sum sent or copied
    /// somewhere has none.
    [[nodiscard]] std::size_t contributions(double min_weight_ratio = 0) const {
        return detail::counted_contributors(contributors_, min_weight_ratio);
    }
    /// Whether data owner `contributor` added an update with a positive weight.
    [[nodiscard]] bool holds_update_of(ContributorId contributor) const {
        return std::binary_search(contributors_.begin(), contributors_.end(), Contributor{contributor, 0},
                                  [](const Contributor& a, const Contributor& b) { return a.id < b.id; });
    }
    /// Whether a data owner added updates to both sums.
    [[nodiscard]] bool shares_contributor_with(const WeightedSum& other) const {
        return std::any_of(other.contributors_.begin(), other.contributors_.end(),
                           [&](const Contributor& c) { return holds_update_of(c.id); });
    }
    /// Whether nothing was added: no count, no weight, every value zero.
    [[nodiscard]] bool empty() const {
        return count_ == 0 && total_weight_ == 0 &&
               std::all_of(sums_.begin(), sums_.end(), [](const auto& p) { return (p.value().array() == 0).all(); });
    }
    /// sum_k w_k m_k / 2^scale_exponent().
    [[nodiscard]] const M& sum() const noexcept { return sum_; }
    /// The weights added are kept divided by 2^scale_exponent().
    [[nodiscard]] int scale_exponent() const noexcept { return exponent_; }
    /// The parameter shapes an update must have.
    [[nodiscard]] const detail::ParameterShapes& shapes() const noexcept { return shapes_; }

private:
    friend struct Codec<WeightedSum>;
    using Scalar = detail::scalar_of<M>;

    WeightedSum(M sum, double scaled_total, int exponent, std::size_t count)
        : sum_(std::move(sum)), sums_(detail::parameters_of(sum_)), shapes_(detail::shapes_of(sums_)),
          total_weight_(scaled_total), exponent_(exponent), count_(count) {}

    /// Makes room for `weight` (>= 0): if it is above what the scale allows,
    /// the sum and the total are divided by the power of two that brings it
    /// into [0, 2) (contributions too small to matter then round to zero).
    void rescale_to(double weight) {
        const int wanted = detail::weight_exponent(weight);
        if (!(weight > 0) || (total_weight_ > 0 && wanted <= exponent_)) {
            return;
        }
        if (total_weight_ > 0) {
            const auto factor = static_cast<Scalar>(std::ldexp(1.0, exponent_ - wanted));
            for (auto& p : sums_) {
                p.value() *= factor;
            }
            total_weight_ = std::ldexp(total_weight_, exponent_ - wanted);
        }
        exponent_ = wanted;
    }

    M sum_;
    std::vector<Tensor<Scalar>> sums_; // handles to sum_'s parameters, taken once
    detail::ParameterShapes shapes_;
    double total_weight_ = 0; // sum_k w_k / 2^exponent_
    int exponent_ = 0;
    std::size_t count_ = 0;
    using Contributor = detail::ContributorWeight;
    std::vector<Contributor> contributors_; // sorted by id, distinct, each with its updates' total weight
    bool released_ = false;                 // (not part of the bytes either)
};

template <class M>
struct Codec<WeightedSum<M>> {
    static constexpr bool holds_contributions = true; // (ValueType::holds_contributions)
    static bool empty(const WeightedSum<M>& sum) { return sum.empty(); }
    static std::string type_name() { return "fedpp::WeightedSum<" + Codec<M>::type_name() + ">"; }
    static void encode(const WeightedSum<M>& sum, ByteWriter& out) {
        out.write(sum.total_weight_); // divided by 2^scale_exponent()
        out.write<std::uint64_t>(sum.count());
        out.write<std::int32_t>(sum.scale_exponent());
        Codec<M>::encode(sum.sum(), out);
    }
    static WeightedSum<M> decode(ByteReader& in) {
        const std::size_t at = in.position();
        const auto total = in.read<double>();
        const std::size_t count = in.read_size("a weighted sum's count");
        const auto exponent = in.read<std::int32_t>();
        if (!std::isfinite(total) || total < 0) {
            in.fail("a weighted sum's total weight is " + std::to_string(total), at);
        }
        if (exponent < std::numeric_limits<double>::min_exponent - std::numeric_limits<double>::digits ||
            exponent >= std::numeric_limits<double>::max_exponent) {
            in.fail("a weighted sum's scale is 2^" + std::to_string(exponent), at);
        }
        return WeightedSum<M>(Codec<M>::decode(in), total, exponent, count);
    }
};

} // namespace fedpp
