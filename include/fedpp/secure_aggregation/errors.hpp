// fedpp secure aggregation: the exceptions it throws.
#pragma once

#include "fedpp/base/errors.hpp"

#include <string>
#include <string_view>

namespace fedpp::secagg {

/// A cryptographic operation of the underlying library (OpenSSL) failed:
/// out of memory, an algorithm not available, an X25519 public key of low
/// order. The message carries OpenSSL's reason.
class CryptoError : public Error {
public:
    using Error::Error;
};

/// Why a session of the protocol ended without a sum.
enum class Failure {
    /// Fewer clients than Config::min_clients remained at some stage.
    too_few_clients,
    /// Fewer than Config::threshold shares of a secret the server needed
    /// arrived in the unmasking round.
    too_few_shares,
    /// A reconstructed masking key does not match the public key its owner
    /// advertised (corrupt shares).
    inconsistent_shares,
    /// With a sparse (SecAgg+) graph, the surviving clients do not form one
    /// connected group, so unmasking would reveal partial sums.
    disconnected_survivors,
    /// A message broke the protocol, or a call came out of turn.
    protocol_violation,
};

inline std::string_view to_string(Failure failure) noexcept {
    switch (failure) {
    case Failure::too_few_clients: return "too few clients";
    case Failure::too_few_shares: return "too few shares";
    case Failure::inconsistent_shares: return "inconsistent shares";
    case Failure::disconnected_survivors: return "disconnected survivors";
    case Failure::protocol_violation: return "protocol violation";
    }
    return "unknown failure";
}

/// A session that ended without a sum, and why. Nothing about any client's
/// input is revealed when this is thrown.
class SecureAggregationError : public Error {
public:
    SecureAggregationError(Failure failure, const std::string& message)
        : Error("secure aggregation failed (" + std::string(to_string(failure)) + "): " + message),
          failure_(failure) {}

    [[nodiscard]] Failure failure() const noexcept { return failure_; }

private:
    Failure failure_;
};

} // namespace fedpp::secagg
