// Compile-time rules that a constraint can express, checked cheaply with
// static_assert (mp-units style). Rules that need the error message checked
// are compile-fail pairs in tests/compile_fail.
#include "parties.hpp"

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <type_traits>

using fedpp::Tensor;
using LinearAtBob = fedpp::Pointer<fedpp::nn::Linear<float>, Bob>;
using LinearAtSecure = fedpp::Pointer<fedpp::nn::Linear<float>, Secure>;

// Locations and their trust are part of the type.
static_assert(fedpp::Location<Bob> && fedpp::UntrustedLocation<Bob> && !fedpp::TrustedLocation<Bob>);
static_assert(fedpp::TrustedLocation<Secure>);
static_assert(!std::is_same_v<Bob, Alice>);
static_assert(Bob::name == "bob");
static_assert(!fedpp::Location<int>);

// Pointers are move-only (the build-fail pair shows the message).
static_assert(!std::is_copy_constructible_v<LinearAtBob>);
static_assert(!std::is_copy_assignable_v<LinearAtBob>);
static_assert(std::is_nothrow_move_constructible_v<LinearAtBob>);
static_assert(std::is_nothrow_move_assignable_v<LinearAtBob>);

// A request's payload views bytes the sender keeps: it binds to a Bytes
// lvalue, never to a temporary that would be gone before the call.
static_assert(std::is_assignable_v<fedpp::detail::BorrowedBytes&, const fedpp::Bytes&>);
static_assert(!std::is_assignable_v<fedpp::detail::BorrowedBytes&, fedpp::Bytes&&>);
static_assert(!std::is_constructible_v<fedpp::detail::BorrowedBytes, fedpp::Bytes>);

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

// Which values may be read back from a data owner with a plain get().
static_assert(fedpp::is_public_scalar_v<float>);
static_assert(!fedpp::is_public_scalar_v<Tensor<float>>);

TEST_CASE("static rules compile", "[static]") { SUCCEED("the static_asserts in this file hold"); }
