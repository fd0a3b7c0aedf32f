// fedpp secure aggregation: key derivation, HKDF-SHA-256 (RFC 5869) from
// OpenSSL's EVP_KDF.
#pragma once

#include "fedpp/secure_aggregation/detail/openssl.hpp"
#include "fedpp/secure_aggregation/types.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace fedpp::secagg {

/// HKDF-SHA-256(salt, key material, info) into `out` (at most 255 * 32
/// bytes). An empty salt means HKDF's default (32 zero bytes).
inline void hkdf_sha256(std::span<const std::uint8_t> key_material, std::span<const std::uint8_t> salt,
                        std::span<const std::uint8_t> info, std::span<std::uint8_t> out) {
    using detail::secagg::KdfContextHandle;
    auto context = detail::secagg::make_handle<KdfContextHandle>(EVP_KDF_CTX_new(detail::secagg::hkdf_algorithm()),
                                                                 "EVP_KDF_CTX_new");
    // OSSL_PARAM takes non-const pointers; HKDF only reads these.
    auto param = [](const char* name, std::span<const std::uint8_t> bytes) {
        return OSSL_PARAM_construct_octet_string(name, const_cast<std::uint8_t*>(bytes.data()), bytes.size());
    };
    char digest[] = "SHA256";
    OSSL_PARAM params[5];
    std::size_t count = 0;
    params[count++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[count++] = param(OSSL_KDF_PARAM_KEY, key_material);
    if (!salt.empty()) {
        params[count++] = param(OSSL_KDF_PARAM_SALT, salt);
    }
    params[count++] = param(OSSL_KDF_PARAM_INFO, info);
    params[count] = OSSL_PARAM_construct_end();
    detail::secagg::check_openssl(EVP_KDF_derive(context.get(), out.data(), out.size(), params), "HKDF-SHA-256");
}

/// A 32-byte key derived with HKDF-SHA-256.
inline Secret32 derive_key(std::span<const std::uint8_t> key_material, std::span<const std::uint8_t> salt,
                           std::span<const std::uint8_t> info) {
    Secret32 key;
    hkdf_sha256(key_material, salt, info, key.mutable_bytes());
    return key;
}

} // namespace fedpp::secagg
