// fedpp: Aggregate<M>, what may leave a trusted aggregator.
//
// fedavg, the robust aggregators and average_of return an Aggregate<M>: a
// model (or tensor) combined from the contributions of at least
// `min_contributions` different data owners. It is the only kind of model
// or tensor the model owner may read from a trusted location, or send on
// from there; a plain model that arrived at the aggregator may only be
// aggregated. Only fedpp's aggregations make one (its constructor is not
// public), and reading it gives the model:
//
//     nn::Linear<float> model = fedavg(alices_at_secure, bobs_at_secure).get();
#pragma once

#include "fedpp/io/codec.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace fedpp {

template <class T>
struct Codec;

namespace detail {
struct AggregateAccess;
} // namespace detail

template <class M>
class Aggregate {
public:
    using model_type = M;

    Aggregate(Aggregate&&) noexcept = default;
    Aggregate& operator=(Aggregate&&) noexcept = default;
    Aggregate(const Aggregate&) = delete;
    Aggregate& operator=(const Aggregate&) = delete;
    ~Aggregate() = default;

    [[nodiscard]] const M& model() const& noexcept { return model_; }
    /// The model, moved out.
    [[nodiscard]] M release() && { return std::move(model_); }
    /// model = fedavg(...).get(): an aggregate becomes the model it holds.
    operator M() && { return std::move(model_); } // NOLINT: implicit by design

    /// How many different data owners contributed (with a positive weight).
    [[nodiscard]] std::size_t contributions() const noexcept { return contributions_; }

private:
    friend struct detail::AggregateAccess;
    Aggregate(M model, std::size_t contributions) : model_(std::move(model)), contributions_(contributions) {}

    M model_;
    std::size_t contributions_;
};

template <class T>
struct is_aggregate : std::false_type {};
template <class M>
struct is_aggregate<Aggregate<M>> : std::true_type {};
/// True for Aggregate<M>: the values a trusted location may release.
template <class T>
inline constexpr bool is_aggregate_v = is_aggregate<std::remove_cvref_t<T>>::value;

namespace detail {
/// Makes aggregates: fedpp's aggregations, and the codec.
struct AggregateAccess {
    template <class M>
    static Aggregate<M> make(M model, std::size_t contributions) {
        return Aggregate<M>(std::move(model), contributions);
    }
};
} // namespace detail

template <class M>
struct Codec<Aggregate<M>> {
    static std::string type_name() { return "fedpp::Aggregate<" + Codec<M>::type_name() + ">"; }
    static void encode(const Aggregate<M>& aggregate, ByteWriter& out) {
        out.write<std::uint64_t>(aggregate.contributions());
        Codec<M>::encode(aggregate.model(), out);
    }
    static Aggregate<M> decode(ByteReader& in) {
        const std::size_t count = contributions(in);
        return detail::AggregateAccess::make(Codec<M>::decode(in), count);
    }
    /// The contribution count, the first field of the encoding.
    static std::size_t contributions(ByteReader& in) {
        const std::size_t at = in.position();
        const auto count = in.read<std::uint64_t>();
        if (count < 2) {
            in.fail("an aggregate of " + std::to_string(count) + " contributions", at);
        }
        return static_cast<std::size_t>(count);
    }
};

} // namespace fedpp
