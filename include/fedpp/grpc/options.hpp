// fedpp::grpc: how a party reaches others, and how long it waits.
#pragma once

#include "fedpp/base/errors.hpp"

#include <chrono>
#include <cstddef>
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

/// "name=host:port" -> {name, address}; ArgumentError otherwise.
inline std::pair<std::string, std::string> parse_peer(std::string_view text) {
    const auto equals = text.find('=');
    if (equals == 0 || equals == std::string_view::npos || equals + 1 == text.size()) {
        throw ArgumentError("fedpp::grpc: a peer is written name=host:port, got '" + std::string(text) + "'");
    }
    return {std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

/// Every call has a deadline; connections are kept alive with pings, so
/// that a long local training does not cost the connection.
struct ConnectionOptions {
    std::chrono::milliseconds call_timeout = std::chrono::seconds(30);     ///< small requests
    std::chrono::milliseconds transfer_timeout = std::chrono::minutes(30); ///< a value's stream, any size
    std::chrono::milliseconds execute_timeout = std::chrono::hours(6);     ///< a computation (local training)
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);  ///< reaching a party
    std::chrono::milliseconds keepalive = std::chrono::seconds(20);        ///< a ping this often when idle
    std::size_t chunk_bytes = std::size_t{1} << 20;                        ///< a value streams in chunks this big
};

} // namespace fedpp::grpc
