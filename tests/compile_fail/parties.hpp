// Shared set-up of the compile-fail pairs: a model owner, two data owners, a
// trusted aggregator and a sum-only aggregator (secure aggregation).
#pragma once

#include <fedpp/fedpp.hpp>

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Secure = fedpp::TrustedAggregator<"secure_worker">;
using Summer = fedpp::SumOnlyAggregator<"summer">;

struct Parties {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob{hook};
    fedpp::Worker<Alice> alice{hook};
    fedpp::Worker<Secure> secure{hook};
    fedpp::Worker<Summer> summer{hook};
};

inline fedpp::nn::Linear<float> small_model() {
    fedpp::Generator generator(1);
    return fedpp::nn::Linear<float>(2, 1, generator);
}

/// A masked update, as secure aggregation makes it (secagg::SecureRound::mask;
/// its constructor is not public), and the unmasked sum it releases.
inline fedpp::Masked<fedpp::nn::Linear<float>> masked_update() {
    return fedpp::detail::SecureAggregationAccess::masked<fedpp::nn::Linear<float>>({1, 2, 3, 4}, {}, 0);
}
inline fedpp::Aggregate<fedpp::nn::Linear<float>> unmasked_sum() {
    return fedpp::detail::AggregateAccess::make(small_model(), 2);
}
