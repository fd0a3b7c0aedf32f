// fedpp secure aggregation: AES-256 in counter mode as the pseudorandom
// generator that expands a 32-byte seed into a mask.
//
// The keystream is AES-256-CTR (OpenSSL EVP, AES-NI where the CPU has it)
// under the seed as key with an all-zero initial counter block. Every seed
// the protocol expands is a fresh key derived with HKDF for one purpose in
// one session, so no key/counter pair is ever used twice. The keystream is
// read as little-endian 32-bit words, uniform in Z_{2^32}.
#pragma once

#include "fedpp/secure_aggregation/detail/openssl.hpp"
#include "fedpp/secure_aggregation/types.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fedpp::secagg {

class AesCtrPrng {
public:
    explicit AesCtrPrng(const Secret32& seed)
        : context_(detail::secagg::make_handle<detail::secagg::CipherContextHandle>(EVP_CIPHER_CTX_new(),
                                                                                      "EVP_CIPHER_CTX_new")) {
        const std::array<unsigned char, 16> counter{};
        detail::secagg::check_openssl(
            EVP_EncryptInit_ex2(context_.get(), detail::secagg::aes_256_ctr(), seed.data(), counter.data(), nullptr),
            "AES-256-CTR initialisation");
    }

    /// The next out.size() bytes of the keystream.
    void generate(std::span<std::uint8_t> out) {
        while (!out.empty()) {
            const std::size_t count = std::min(out.size(), chunk_bytes);
            encrypt_zeros(out.data(), count);
            out = out.subspan(count);
        }
    }

    /// words[i] += the next keystream word (mod 2^32).
    void add_to(std::span<std::uint32_t> words) {
        combine(words, [](std::uint32_t& word, std::uint32_t mask) { word += mask; });
    }

    /// words[i] -= the next keystream word (mod 2^32).
    void subtract_from(std::span<std::uint32_t> words) {
        combine(words, [](std::uint32_t& word, std::uint32_t mask) { word -= mask; });
    }

private:
    static constexpr std::size_t chunk_words = 4096;
    static constexpr std::size_t chunk_bytes = chunk_words * sizeof(std::uint32_t);

    void encrypt_zeros(std::uint8_t* out, std::size_t count) {
        static constexpr std::array<unsigned char, chunk_bytes> zeros{};
        int written = 0;
        detail::secagg::check_openssl(
            EVP_EncryptUpdate(context_.get(), out, &written, zeros.data(), static_cast<int>(count)),
            "AES-256-CTR keystream");
    }

    template <class Op>
    void combine(std::span<std::uint32_t> words, Op op) {
        std::array<std::uint32_t, chunk_words> keystream; // NOLINT: filled before it is read
        while (!words.empty()) {
            const std::size_t count = std::min(words.size(), chunk_words);
            encrypt_zeros(reinterpret_cast<std::uint8_t*>(keystream.data()), count * sizeof(std::uint32_t));
            if constexpr (std::endian::native == std::endian::big) {
                for (std::size_t i = 0; i < count; ++i) {
                    keystream[i] = byteswap32(keystream[i]);
                }
            }
            for (std::size_t i = 0; i < count; ++i) {
                op(words[i], keystream[i]);
            }
            words = words.subspan(count);
        }
    }

    static constexpr std::uint32_t byteswap32(std::uint32_t v) noexcept {
        return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
    }

    detail::secagg::CipherContextHandle context_;
};

} // namespace fedpp::secagg
