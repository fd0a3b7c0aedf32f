#include "identity.hpp"

#include "wire.hpp"

#include <fedpp/base/errors.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <memory>
#include <string>

namespace fedpp::grpc::detail {
namespace {

struct FreeBio {
    void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct FreeX509 {
    void operator()(X509* certificate) const noexcept { X509_free(certificate); }
};
struct FreeKey {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct FreeNames {
    void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};

std::unique_ptr<BIO, FreeBio> memory_bio(const std::string& pem, const std::string& path) {
    if (pem.size() > static_cast<std::size_t>(INT_MAX)) {
        throw ArgumentError("fedpp::grpc: '" + path + "' is too large for a PEM file");
    }
    std::unique_ptr<BIO, FreeBio> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        throw std::bad_alloc();
    }
    return bio;
}

std::unique_ptr<X509, FreeX509> parse_certificate(const std::string& pem, const std::string& path) {
    const auto bio = memory_bio(pem, path);
    std::unique_ptr<X509, FreeX509> certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!certificate) {
        throw ArgumentError("fedpp::grpc: '" + path + "' is not a PEM X.509 certificate");
    }
    return certificate;
}

std::string text_of(const ASN1_STRING* text) {
    return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
            static_cast<std::size_t>(ASN1_STRING_length(text))};
}

} // namespace

std::string certificate_identity(const std::string& pem, const std::string& path) {
    const auto certificate = parse_certificate(pem, path);
    const std::unique_ptr<GENERAL_NAMES, FreeNames> alternatives(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate.get(), NID_subject_alt_name, nullptr, nullptr)));
    if (alternatives && sk_GENERAL_NAME_num(alternatives.get()) > 0) {
        const GENERAL_NAME* first = sk_GENERAL_NAME_value(alternatives.get(), 0);
        if (first->type == GEN_DNS || first->type == GEN_URI || first->type == GEN_EMAIL) {
            return text_of(first->d.ia5);
        }
        throw ArgumentError("fedpp::grpc: the certificate '" + path +
                            "' has a first subject alternative name that is not a name (DNS, URI or e-mail)");
    }
    const X509_NAME* subject = X509_get_subject_name(certificate.get());
    const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (at < 0) {
        throw ArgumentError("fedpp::grpc: the certificate '" + path +
                            "' names nobody: no subject alternative name, no common name");
    }
    return text_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
}

void check_own_credentials(const Credentials& credentials, const std::string& name) {
    const std::string certificate_path = credentials.certificate.string();
    const std::string key_path = credentials.key.string();
    const std::string certificate_pem = read_pem(credentials.certificate, "certificate");
    const std::string identity = certificate_identity(certificate_pem, certificate_path);
    if (identity != name) {
        throw ArgumentError("fedpp::grpc: party '" + name + "': its certificate '" + certificate_path +
                            "' names '" + identity + "', so peers would take it for '" + identity + "'");
    }
    const auto certificate = parse_certificate(certificate_pem, certificate_path);
    const std::string key_pem = read_pem(credentials.key, "private key");
    const auto bio = memory_bio(key_pem, key_path);
    const std::unique_ptr<EVP_PKEY, FreeKey> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        throw ArgumentError("fedpp::grpc: party '" + name + "': '" + key_path + "' is not a PEM private key");
    }
    if (X509_check_private_key(certificate.get(), key.get()) != 1) {
        throw ArgumentError("fedpp::grpc: party '" + name + "': the key '" + key_path +
                            "' is not the key of its certificate '" + certificate_path + "'");
    }
}

} // namespace fedpp::grpc::detail
