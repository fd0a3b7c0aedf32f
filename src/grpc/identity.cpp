#include "identity.hpp"

#include "wire.hpp"

#include <fedpp/base/errors.hpp>

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
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

/// ArgumentError(message), with OpenSSL's queue of errors for this thread
/// cleared: what it says is in the message.
[[noreturn]] void refuse(const std::string& message) {
    ERR_clear_error();
    throw ArgumentError(message);
}

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
        refuse("fedpp::grpc: '" + path + "' is not a PEM X.509 certificate");
    }
    return certificate;
}

/// A name in a certificate as UTF-8, as gRPC reads it.
std::string text_of(const ASN1_STRING* text, const std::string& path) {
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, text);
    if (length < 0) {
        refuse("fedpp::grpc: the certificate '" + path + "' holds a name that is not text");
    }
    std::string name(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return name;
}

/// An IP address alternative name as text, as gRPC reads it.
std::string address_of(const ASN1_OCTET_STRING* address, const std::string& path) {
    char text[INET6_ADDRSTRLEN] = {};
    const int length = ASN1_STRING_length(address);
    const int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : -1;
    if (family < 0 || inet_ntop(family, ASN1_STRING_get0_data(address), text, sizeof text) == nullptr) {
        refuse("fedpp::grpc: the certificate '" + path + "' holds an IP address of " + std::to_string(length) +
               " bytes");
    }
    return text;
}

} // namespace

std::string certificate_identity(const std::string& pem, const std::string& path) {
    const auto certificate = parse_certificate(pem, path);
    const std::unique_ptr<GENERAL_NAMES, FreeNames> alternatives(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate.get(), NID_subject_alt_name, nullptr, nullptr)));
    // gRPC's identity of a peer: the alternative names it reads (DNS, URI,
    // e-mail, IP address; others are skipped), the first one here, as
    // fedpp's servers take it; without any, the common name.
    const int alternative_count = alternatives ? sk_GENERAL_NAME_num(alternatives.get()) : 0;
    for (int i = 0; i < alternative_count; ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(alternatives.get(), i);
        if (name->type == GEN_DNS || name->type == GEN_URI || name->type == GEN_EMAIL) {
            return text_of(name->d.ia5, path);
        }
        if (name->type == GEN_IPADD) {
            return address_of(name->d.iPAddress, path);
        }
    }
    const X509_NAME* subject = X509_get_subject_name(certificate.get());
    const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (at < 0) {
        refuse("fedpp::grpc: the certificate '" + path + "' names nobody: no subject alternative name, no common name");
    }
    return text_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)), path);
}

void check_own_credentials(const Credentials& credentials, const std::string& name) {
    const std::string certificate_path = credentials.certificate.string();
    const std::string key_path = credentials.key.string();
    const std::string certificate_pem = read_pem(credentials.certificate, "certificate");
    const std::string identity = certificate_identity(certificate_pem, certificate_path);
    if (identity != name) {
        refuse("fedpp::grpc: party '" + name + "': its certificate '" + certificate_path +
               "' names '" + identity + "', so peers would take it for '" + identity + "'");
    }
    const auto certificate = parse_certificate(certificate_pem, certificate_path);
    const std::string key_pem = read_pem(credentials.key, "private key");
    const auto bio = memory_bio(key_pem, key_path);
    // No pass phrase: OpenSSL would otherwise ask for one on the terminal
    // (gRPC cannot use an encrypted key either).
    const auto no_pass_phrase = [](char*, int, int, void*) { return -1; };
    const std::unique_ptr<EVP_PKEY, FreeKey> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_pass_phrase, nullptr));
    if (!key) {
        refuse("fedpp::grpc: party '" + name + "': '" + key_path + "' is not an unencrypted PEM private key");
    }
    if (X509_check_private_key(certificate.get(), key.get()) != 1) {
        refuse("fedpp::grpc: party '" + name + "': the key '" + key_path + "' is not the key of its certificate '" +
               certificate_path + "'");
    }
    // The authority it trusts must be the one that signed it: otherwise it
    // would start, and then every handshake, both ways, would fail.
    const std::string authority_path = credentials.authority.string();
    const auto authority =
        parse_certificate(read_pem(credentials.authority, "certificate authority"), authority_path);
    EVP_PKEY* authority_key = X509_get0_pubkey(authority.get());
    if (authority_key == nullptr || X509_verify(certificate.get(), authority_key) != 1) {
        refuse("fedpp::grpc: party '" + name + "': its certificate '" + certificate_path +
               "' is not signed by the certificate authority '" + authority_path + "'");
    }
}

} // namespace fedpp::grpc::detail
