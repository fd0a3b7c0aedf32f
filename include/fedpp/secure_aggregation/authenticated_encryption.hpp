// fedpp secure aggregation: AES-256-GCM, which encrypts and authenticates
// the Shamir shares a client sends to each neighbour through the server.
#pragma once

#include "fedpp/secure_aggregation/detail/openssl.hpp"
#include "fedpp/secure_aggregation/types.hpp"

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace fedpp::secagg {

class AesGcm {
public:
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;
    using Nonce = std::array<std::uint8_t, nonce_size>;

    explicit AesGcm(const Secret32& key) : key_(key) {}

    /// Ciphertext followed by the 16-byte tag. A (key, nonce) pair must
    /// never encrypt two messages.
    [[nodiscard]] std::vector<std::uint8_t> seal(const Nonce& nonce, std::span<const std::uint8_t> associated_data,
                                                 std::span<const std::uint8_t> plaintext) const {
        using namespace detail::secagg;
        check_size(plaintext.size());
        auto context = start(nonce, associated_data, true);
        std::vector<std::uint8_t> sealed(plaintext.size() + tag_size);
        int written = 0;
        check_openssl(EVP_EncryptUpdate(context.get(), sealed.data(), &written, plaintext.data(),
                                        static_cast<int>(plaintext.size())),
                      "AES-256-GCM encryption");
        int final_bytes = 0;
        check_openssl(EVP_EncryptFinal_ex(context.get(), sealed.data() + written, &final_bytes),
                      "AES-256-GCM encryption");
        check_openssl(EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tag_size),
                                          sealed.data() + plaintext.size()),
                      "AES-256-GCM tag");
        return sealed;
    }

    /// The plaintext, or nothing if the ciphertext, the tag, the nonce or
    /// the associated data were altered (or another key sealed it).
    [[nodiscard]] std::optional<std::vector<std::uint8_t>> open(const Nonce& nonce,
                                                                std::span<const std::uint8_t> associated_data,
                                                                std::span<const std::uint8_t> sealed) const {
        using namespace detail::secagg;
        if (sealed.size() < tag_size) {
            return std::nullopt;
        }
        const std::size_t length = sealed.size() - tag_size;
        check_size(length);
        auto context = start(nonce, associated_data, false);
        std::vector<std::uint8_t> plaintext(length);
        int written = 0;
        check_openssl(
            EVP_DecryptUpdate(context.get(), plaintext.data(), &written, sealed.data(), static_cast<int>(length)),
            "AES-256-GCM decryption");
        std::array<std::uint8_t, tag_size> tag;
        std::copy(sealed.begin() + static_cast<std::ptrdiff_t>(length), sealed.end(), tag.begin());
        check_openssl(EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag_size), tag.data()),
                      "AES-256-GCM tag");
        int final_bytes = 0;
        if (EVP_DecryptFinal_ex(context.get(), plaintext.data() + written, &final_bytes) != 1) {
            OPENSSL_cleanse(plaintext.data(), plaintext.size());
            ERR_clear_error();
            return std::nullopt;
        }
        return plaintext;
    }

private:
    static void check_size(std::size_t bytes) {
        if (bytes > static_cast<std::size_t>(INT_MAX) / 2) {
            throw CryptoError("AES-256-GCM: a message of " + std::to_string(bytes) + " bytes is too long");
        }
    }

    detail::secagg::CipherContextHandle start(const Nonce& nonce, std::span<const std::uint8_t> associated_data,
                                              bool encrypt) const {
        using namespace detail::secagg;
        auto context = make_handle<CipherContextHandle>(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new");
        check_openssl(EVP_CipherInit_ex2(context.get(), aes_256_gcm(), key_.data(), nonce.data(), encrypt ? 1 : 0,
                                         nullptr),
                      "AES-256-GCM initialisation");
        check_size(associated_data.size());
        int written = 0;
        check_openssl(EVP_CipherUpdate(context.get(), nullptr, &written, associated_data.data(),
                                       static_cast<int>(associated_data.size())),
                      "AES-256-GCM associated data");
        return context;
    }

    Secret32 key_;
};

} // namespace fedpp::secagg
