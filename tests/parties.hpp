// Locations used by the tests, and a way to make contributions: values that
// data owners moved to a trusted aggregator.
#pragma once

#include <fedpp/fedpp.hpp>

#include <memory>
#include <string>
#include <vector>

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Client = fedpp::DataOwner<"client">;
using Secure = fedpp::TrustedAggregator<"secure_worker">;

/// Data owners that contribute values to a trusted aggregator, one data
/// owner per value: what an aggregate may combine (a value the model owner
/// sends to the aggregator itself is no data owner's contribution).
class Contributors {
public:
    explicit Contributors(fedpp::Federation& hook, std::string prefix = "owner-")
        : hook_(hook), prefix_(std::move(prefix)) {}

    /// `value`, sent to a new data owner and moved from there to `aggregator`.
    template <class T, class L>
    fedpp::Pointer<T, L> contribute(const T& value, fedpp::Worker<L>& aggregator) {
        owners_.push_back(
            std::make_unique<fedpp::Worker<Client>>(hook_, prefix_ + std::to_string(owners_.size())));
        return fedpp::send(value, *owners_.back()).move(aggregator);
    }

    [[nodiscard]] fedpp::Worker<Client>& owner(std::size_t i) { return *owners_.at(i); }

private:
    fedpp::Federation& hook_;
    std::string prefix_;
    std::vector<std::unique_ptr<fedpp::Worker<Client>>> owners_;
};
