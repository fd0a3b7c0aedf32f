// Shared set-up of the compile-fail pairs: a model owner, two data owners and
// a trusted aggregator.
#pragma once

#include <fedpp/fedpp.hpp>

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Secure = fedpp::TrustedAggregator<"secure_worker">;

struct Parties {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob{hook};
    fedpp::Worker<Alice> alice{hook};
    fedpp::Worker<Secure> secure{hook};
};

inline fedpp::nn::Linear<float> small_model() {
    fedpp::Generator generator(1);
    return fedpp::nn::Linear<float>(2, 1, generator);
}
