// The trust predicates of fedpp/located/trust.hpp, each checked for what it
// must accept and what it must reject (mp-units style: this file compiles,
// or the rules changed). The functions that enforce a rule test these
// predicates; tests/compile_fail/ checks the messages they give.
#include <fedpp/fedpp.hpp>

#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Secure = fedpp::TrustedAggregator<"secure_worker">;
using Other = fedpp::TrustedAggregator<"other_aggregator">;
using Model = fedpp::nn::Linear<float>;
using Tensor = fedpp::Tensor<float>;

// Locations: what is one, and which are trusted.
static_assert(fedpp::Location<Bob> && fedpp::UntrustedLocation<Bob> && !fedpp::TrustedLocation<Bob>);
static_assert(fedpp::Location<Secure> && fedpp::TrustedLocation<Secure> && !fedpp::UntrustedLocation<Secure>);
static_assert(!fedpp::Location<int>);
static_assert(Bob::name == "bob" && Secure::name == "secure_worker");

// same_location_v: values combine only where they all live.
static_assert(fedpp::SameLocation<Bob, Bob>);
static_assert(!fedpp::SameLocation<Bob, Alice>);
static_assert(!fedpp::SameLocation<Bob, Secure>);
static_assert(!fedpp::SameLocation<Secure, Other>);
static_assert(!fedpp::SameLocation<int, int>); // not locations

using Average = fedpp::Aggregate<Model>;

// Trust cannot be declared: a type of one's own with the right members is not
// a location, let alone a trusted one.
struct DeclaredTrusted {
    static constexpr std::string_view name = "mine";
    static constexpr bool trusted = true;
};
static_assert(!fedpp::Location<DeclaredTrusted> && !fedpp::TrustedLocation<DeclaredTrusted>);
// Deriving from fedpp's template is the explicit opt-in, and it shows.
struct OurAggregator : fedpp::TrustedAggregator<"ours"> {};
static_assert(fedpp::TrustedLocation<OurAggregator>);
static_assert(fedpp::min_contributions_v<Secure> == 2);
static_assert(fedpp::min_contributions_v<fedpp::TrustedAggregator<"strict", 5>> == 5);

// Public scalars: numbers with an exact encoding, and nothing else.
static_assert(fedpp::PublicScalar<float> && fedpp::PublicScalar<double> && fedpp::PublicScalar<std::int64_t>);
static_assert(fedpp::PublicScalar<bool> && fedpp::PublicScalar<std::uint8_t>);
static_assert(!fedpp::PublicScalar<char>);        // a character, not a number
static_assert(!fedpp::PublicScalar<long double>); // no exact encoding
static_assert(!fedpp::PublicScalar<Model> && !fedpp::PublicScalar<Tensor> && !fedpp::PublicScalar<Average>);
static_assert(!fedpp::PublicScalar<std::vector<float>>);
static_assert(fedpp::AggregateValue<Average> && !fedpp::AggregateValue<Model>);

// may_read_v: the model owner reads scalars anywhere, and aggregates at a
// trusted location; never a data owner's model, tensor or data, and never
// what a data owner sent to the aggregator.
static_assert(fedpp::ReadableAt<float, Bob> && fedpp::ReadableAt<std::int64_t, Bob>);
static_assert(!fedpp::ReadableAt<Model, Bob>);
static_assert(!fedpp::ReadableAt<Tensor, Bob>);
static_assert(!fedpp::ReadableAt<fedpp::data::Dataset<float>, Bob>);
static_assert(!fedpp::ReadableAt<std::vector<float>, Bob>);
static_assert(!fedpp::ReadableAt<Average, Bob>); // an aggregate sent on to a data owner is that data owner's
static_assert(fedpp::ReadableAt<Average, Secure>);
static_assert(fedpp::ReadableAt<float, Secure>);
static_assert(!fedpp::ReadableAt<Model, Secure>);
static_assert(!fedpp::ReadableAt<Tensor, Secure>);
static_assert(!fedpp::ReadableAt<fedpp::data::Dataset<float>, Secure>);
static_assert(!fedpp::ReadableAt<fedpp::WeightedSum<Model>, Secure>);

// may_move_v: a data owner's value leaves it only for a trusted location;
// a trusted location sends on only aggregates.
static_assert(fedpp::MovableBetween<Model, Bob, Secure>);
static_assert(fedpp::MovableBetween<Model, Bob, Bob>);
static_assert(!fedpp::MovableBetween<Model, Bob, Alice>);
static_assert(!fedpp::MovableBetween<Tensor, Alice, Bob>);
static_assert(fedpp::MovableBetween<float, Bob, Alice>); // a scalar is public
static_assert(fedpp::MovableBetween<Average, Secure, Bob>);
static_assert(!fedpp::MovableBetween<Model, Secure, Bob>);   // Bob's model to Alice in two hops
static_assert(!fedpp::MovableBetween<Model, Secure, Other>); // or to another aggregator
static_assert(!fedpp::MovableBetween<fedpp::data::Dataset<float>, Secure, Alice>);

// may_copy_v: no second copy of a contribution at an aggregator.
static_assert(fedpp::CopyableAt<Model, Bob>);
static_assert(!fedpp::CopyableAt<Model, Secure>);
static_assert(fedpp::CopyableAt<Average, Secure>);

// may_compute_on_v: a data owner computes on anything it holds; at a trusted
// location, the model owner's code sees only what it may read.
static_assert(fedpp::ComputableAt<Model, Bob>);
static_assert(!fedpp::ComputableAt<Model, Secure>);
static_assert(!fedpp::ComputableAt<fedpp::WeightedSum<Model>, Secure>);
static_assert(fedpp::ComputableAt<Average, Secure>);

// may_aggregate_at_v: aggregation runs at trusted locations only.
static_assert(fedpp::AggregationLocation<Secure>);
static_assert(!fedpp::AggregationLocation<Bob>);

// A sum-only aggregator (secure aggregation): trusted with no single update.
// Data owners send it masked updates and protocol messages only; it sends
// data owners protocol messages, and releases only aggregates (the sum).
using Summer = fedpp::SumOnlyAggregator<"summer">;
using MaskedModel = fedpp::Masked<Model>;
using Message = fedpp::ProtocolMessage;
static_assert(fedpp::Location<Summer> && fedpp::SumOnlyLocation<Summer>);
static_assert(!fedpp::TrustedLocation<Summer> && !fedpp::UntrustedLocation<Summer>);
static_assert(!fedpp::SumOnlyLocation<Secure> && !fedpp::SumOnlyLocation<Bob>);
static_assert(fedpp::min_contributions_v<Summer> == 2);
static_assert(fedpp::MovableBetween<MaskedModel, Bob, Summer>);
static_assert(fedpp::MovableBetween<Message, Bob, Summer>);
static_assert(fedpp::MovableBetween<Message, Summer, Bob>);
static_assert(!fedpp::MovableBetween<Model, Bob, Summer>);       // never a plain model
static_assert(!fedpp::MovableBetween<Tensor, Bob, Summer>);
static_assert(!fedpp::MovableBetween<MaskedModel, Summer, Bob>); // a masked update goes nowhere but the sum
static_assert(!fedpp::MovableBetween<MaskedModel, Summer, Secure>);
static_assert(!fedpp::MovableBetween<MaskedModel, Bob, Alice>);
static_assert(!fedpp::MovableBetween<Message, Bob, Alice>);     // messages go through the aggregator
static_assert(!fedpp::MovableBetween<Message, Summer, Secure>);
static_assert(!fedpp::MovableBetween<MaskedModel, Bob, Secure>); // to the sum-only aggregator only
static_assert(!fedpp::MovableBetween<Message, Bob, Secure>);
static_assert(fedpp::MovableBetween<Average, Summer, Bob>);
static_assert(!fedpp::ReadableAt<MaskedModel, Summer> && !fedpp::ReadableAt<MaskedModel, Bob>);
static_assert(!fedpp::ReadableAt<Message, Summer> && !fedpp::ReadableAt<Message, Bob>);
static_assert(fedpp::ReadableAt<Average, Summer>);
static_assert(!fedpp::CopyableAt<MaskedModel, Summer> && fedpp::CopyableAt<Average, Summer>);
static_assert(!fedpp::ComputableAt<MaskedModel, Summer> && !fedpp::ComputableAt<Message, Summer>);
static_assert(!fedpp::AggregationLocation<Summer>); // fedavg: no models are there to average

// Stateless: what Worker::run accepts captures nothing.
constexpr auto captures_nothing = [](Model&) {};
static_assert(fedpp::Stateless<std::remove_const_t<decltype(captures_nothing)>>);
inline int global_counter = 0;
constexpr auto by_reference = [](int& x) { return [&x](Model&) { ++x; }; };
static_assert(!fedpp::Stateless<decltype(by_reference(global_counter))>);
static_assert(!fedpp::Stateless<void (*)(Model&)>); // a function pointer is a value of the caller's

} // namespace
