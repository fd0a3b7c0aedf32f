// The trust predicates of fedpp/located/trust.hpp, each checked for what it
// must accept and what it must reject (mp-units style: this file compiles,
// or the rules changed). The functions that enforce a rule test these
// predicates; tests/compile_fail/ checks the messages they give.
#include <fedpp/fedpp.hpp>

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
static_assert(fedpp::same_location_v<Bob, Bob>);
static_assert(!fedpp::same_location_v<Bob, Alice>);
static_assert(!fedpp::same_location_v<Bob, Secure>);
static_assert(!fedpp::same_location_v<Secure, Other>);
static_assert(!fedpp::same_location_v<int, int>); // not locations

// may_read_v: the model owner reads scalars anywhere, and values at a
// trusted location; never a data owner's model, tensor or data.
static_assert(fedpp::may_read_v<float, Bob> && fedpp::may_read_v<std::int64_t, Bob>);
static_assert(!fedpp::may_read_v<Model, Bob>);
static_assert(!fedpp::may_read_v<Tensor, Bob>);
static_assert(!fedpp::may_read_v<fedpp::data::Dataset<float>, Bob>);
static_assert(!fedpp::may_read_v<std::vector<float>, Bob>);
static_assert(fedpp::may_read_v<Model, Secure>);

// may_move_v: a data owner's value leaves it only for a trusted location.
static_assert(fedpp::may_move_v<Model, Bob, Secure>);
static_assert(fedpp::may_move_v<Model, Bob, Bob>);
static_assert(!fedpp::may_move_v<Model, Bob, Alice>);
static_assert(!fedpp::may_move_v<Tensor, Alice, Bob>);
static_assert(fedpp::may_move_v<float, Bob, Alice>); // a scalar is public
static_assert(fedpp::may_move_v<Model, Secure, Bob>);

// may_aggregate_at_v: aggregation runs at trusted locations only.
static_assert(fedpp::may_aggregate_at_v<Secure>);
static_assert(!fedpp::may_aggregate_at_v<Bob>);

} // namespace
