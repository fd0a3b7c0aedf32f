// fedpp secure aggregation, internal: owning handles for OpenSSL objects,
// the algorithms fetched once per process, and OpenSSL errors as exceptions.
#pragma once

#include "fedpp/secure_aggregation/errors.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string>

namespace fedpp::detail::secagg {

/// CryptoError naming `operation` and OpenSSL's first queued reason; the
/// rest of OpenSSL's error queue is cleared.
[[noreturn]] inline void throw_openssl_error(const char* operation) {
    const unsigned long code = ERR_get_error();
    char reason[256] = "no reason given by OpenSSL";
    if (code != 0) {
        ERR_error_string_n(code, reason, sizeof reason);
    }
    ERR_clear_error();
    throw fedpp::secagg::CryptoError(std::string(operation) + " failed: " + reason);
}

/// OpenSSL's convention: 1 is success.
inline void check_openssl(int result, const char* operation) {
    if (result != 1) {
        throw_openssl_error(operation);
    }
}

template <class T, void (*Free)(T*)>
struct OpensslFree {
    void operator()(T* object) const noexcept { Free(object); }
};

using PkeyHandle = std::unique_ptr<EVP_PKEY, OpensslFree<EVP_PKEY, EVP_PKEY_free>>;
using PkeyContextHandle = std::unique_ptr<EVP_PKEY_CTX, OpensslFree<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using CipherContextHandle = std::unique_ptr<EVP_CIPHER_CTX, OpensslFree<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using KdfContextHandle = std::unique_ptr<EVP_KDF_CTX, OpensslFree<EVP_KDF_CTX, EVP_KDF_CTX_free>>;

/// A non-null handle, or CryptoError naming `operation`.
template <class Handle>
Handle make_handle(typename Handle::pointer object, const char* operation) {
    if (object == nullptr) {
        throw_openssl_error(operation);
    }
    return Handle(object);
}

/// A cipher fetched from OpenSSL's default provider once per process (the
/// implicit fetch of EVP_aes_256_ctr() repeats the lookup at every use).
/// Kept until the process ends.
inline const EVP_CIPHER* fetched_cipher(const char* name) {
    EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
    if (cipher == nullptr) {
        throw_openssl_error(name);
    }
    return cipher;
}

inline const EVP_CIPHER* aes_256_ctr() {
    static const EVP_CIPHER* const cipher = fetched_cipher("AES-256-CTR");
    return cipher;
}

inline const EVP_CIPHER* aes_256_gcm() {
    static const EVP_CIPHER* const cipher = fetched_cipher("AES-256-GCM");
    return cipher;
}

inline EVP_KDF* hkdf_algorithm() {
    static EVP_KDF* const kdf = [] {
        EVP_KDF* fetched = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
        if (fetched == nullptr) {
            throw_openssl_error("fetching HKDF");
        }
        return fetched;
    }();
    return kdf;
}

} // namespace fedpp::detail::secagg
