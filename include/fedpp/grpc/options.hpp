// fedpp::grpc: how a party reaches others, and how long it waits.
#pragma once

#include "fedpp/base/errors.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace fedpp::grpc {

/// A party's credentials for mutual TLS, as PEM files: its certificate (its
/// name is the name in the certificate), its private key, and the
/// certificate authority of the federation, which signed every party's
/// certificate.
struct Credentials {
    std::filesystem::path certificate;
    std::filesystem::path key;
    std::filesystem::path authority;
};

/// Where the other parties are: name (in their certificate) -> "host:port".
using Peers = std::map<std::string, std::string>;

/// "name=host:port" -> {name, "host:port"}, the port a number from 1 to
/// 65535; ArgumentError otherwise.
inline std::pair<std::string, std::string> parse_peer(std::string_view text) {
    const auto equals = text.find('=');
    const auto colon = text.rfind(':');
    const bool shaped = equals != 0 && equals != std::string_view::npos && colon != std::string_view::npos &&
                        colon > equals + 1 && colon + 1 < text.size() && text.size() - colon - 1 <= 5;
    const std::string_view port = shaped ? text.substr(colon + 1) : std::string_view();
    const bool digits = !port.empty() && port.find_first_not_of("0123456789") == std::string_view::npos;
    const long number = digits ? std::stol(std::string(port)) : 0;
    if (!digits || number < 1 || number > 65535) {
        throw ArgumentError("fedpp::grpc: a peer is written name=host:port, with a port from 1 to 65535, got '" +
                            std::string(text) + "'");
    }
    return {std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

/// Every call has a deadline; connections are kept alive with pings, so
/// that a long local training does not cost the connection.
struct ConnectionOptions {
    std::chrono::milliseconds call_timeout = std::chrono::seconds(30);     ///< small requests
    /// A value's stream, any size; also a model owner's forward (a party
    /// moving a value on), which a party refuses if less than 2 s are left.
    std::chrono::milliseconds transfer_timeout = std::chrono::minutes(30);
    std::chrono::milliseconds execute_timeout = std::chrono::hours(6);     ///< a computation (local training)
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);  ///< reaching a party
    std::chrono::milliseconds keepalive = std::chrono::seconds(20);        ///< a ping this often when idle
    std::size_t chunk_bytes = std::size_t{1} << 20;                        ///< a value streams in chunks this big
    std::uint64_t max_value_bytes = std::uint64_t{8} << 30;                ///< the largest value accepted from a party
    /// A model owner's transport tells every party it reaches that it is
    /// still there this often (a party deletes the objects of a requester
    /// silent for longer than its lease: party::Policy::lease); 0: never.
    std::chrono::milliseconds renew_every = std::chrono::minutes(1);
};

} // namespace fedpp::grpc
