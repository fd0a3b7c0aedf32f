// fedpp::grpc internals: a party's own certificate checked before it serves
// or calls anyone.
#pragma once

#include <fedpp/grpc/options.hpp>

#include <string>

namespace fedpp::grpc::detail {

/// The name peers see in a certificate (PEM), as gRPC reports a peer's
/// identity and fedpp's servers take it: its first subject alternative name
/// of a kind gRPC reads (DNS, URI, e-mail, IP address), its common name if
/// it has none. ArgumentError naming `path` if it is not a certificate or
/// names nobody.
std::string certificate_identity(const std::string& pem, const std::string& path);

/// ArgumentError unless `credentials` are those of party `name`: the
/// certificate names it (certificate_identity) and the key is the
/// certificate's. Without this check a party with another's files would
/// start, and fail only later, at each peer's handshake or by being taken
/// for the party its certificate names.
void check_own_credentials(const Credentials& credentials, const std::string& name);

} // namespace fedpp::grpc::detail
