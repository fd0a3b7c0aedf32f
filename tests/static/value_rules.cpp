// Compile-time properties of fedpp's types, checked with static_assert
// (mp-units style: this file compiles, or a rule changed). The trust rules
// are in trust_rules.cpp; rules whose message matters are compile-fail pairs
// in tests/compile_fail.
#include <fedpp/fedpp.hpp>

#include <type_traits>

namespace {

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Secure = fedpp::TrustedAggregator<"secure_worker">;

using fedpp::Tensor;
using LinearAtBob = fedpp::Pointer<fedpp::nn::Linear<float>, Bob>;
using LinearAtSecure = fedpp::Pointer<fedpp::nn::Linear<float>, Secure>;

// Pointers are move-only: no copy compiles, with fedpp's message first (the
// compile-fail pairs copy_pointer, copy_assign_pointer, copy_pointer_vector).
// The copy operations are declared for that message, so the copy traits hold.
static_assert(std::is_nothrow_move_constructible_v<LinearAtBob>);
static_assert(std::is_nothrow_move_assignable_v<LinearAtBob>);

// A request's payload views bytes the sender keeps: it binds to a Bytes
// lvalue, never to a temporary that would be gone before the call.
static_assert(std::is_assignable_v<fedpp::BorrowedBytes&, const fedpp::Bytes&>);
static_assert(!std::is_assignable_v<fedpp::BorrowedBytes&, fedpp::Bytes&&>);
static_assert(!std::is_constructible_v<fedpp::BorrowedBytes, fedpp::Bytes>);

// A pointer's location cannot be converted away.
static_assert(!std::is_constructible_v<LinearAtSecure, LinearAtBob&&>);
static_assert(!std::is_convertible_v<LinearAtBob, LinearAtSecure>);
static_assert(!std::is_convertible_v<LinearAtBob, fedpp::nn::Linear<float>>);

// Models are copied explicitly, never by accident.
static_assert(!std::is_copy_constructible_v<fedpp::nn::Linear<float>>);
static_assert(!std::is_copy_constructible_v<fedpp::nn::Sequential<float>>);
static_assert(fedpp::nn::Model<fedpp::nn::Linear<double>>);
static_assert(fedpp::nn::Model<fedpp::nn::Sequential<float>>);
static_assert(fedpp::Averageable<Tensor<float>>);
static_assert(!fedpp::Averageable<int>);

// What can travel: everything fedpp defines, and not what has no codec.
static_assert(fedpp::Serializable<Tensor<double>>);
static_assert(fedpp::Serializable<fedpp::data::Dataset<float>>);
static_assert(fedpp::Serializable<float>);
struct NoCodec {};
static_assert(!fedpp::Serializable<NoCodec>);

// Which values are public scalars (readable from anywhere).
static_assert(fedpp::is_public_scalar_v<float>);
static_assert(!fedpp::is_public_scalar_v<Tensor<float>>);

// The transfer log is read-only to users: no copies, and (the compile-fail
// pair write_transfer_log shows) no writes.
static_assert(!std::is_copy_constructible_v<fedpp::TransferLog>);

} // namespace
