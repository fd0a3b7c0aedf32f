// fedpp secure aggregation: byte encodings of the protocol's messages, so
// that they can pass through fedpp's seam and, later, between processes.
//
// Decoders read bytes from outside: they check every length against the
// bytes that remain and every enumeration value, and throw
// SerializationError otherwise (fuzz/fuzz_secure_aggregation.cpp). They do
// not check the protocol's rules (ids in range, expected sizes): the client
// and server state machines validate each message they receive.
#pragma once

#include "fedpp/io/codec.hpp"
#include "fedpp/secure_aggregation/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace fedpp {

namespace detail::secagg {

inline void encode_key(const fedpp::secagg::PublicKey& key, ByteWriter& out) {
    out.write_array(key.data(), key.size());
}

inline fedpp::secagg::PublicKey decode_key(ByteReader& in) {
    fedpp::secagg::PublicKey key{};
    in.read_array(key.data(), key.size());
    return key;
}

/// A count, then each element; `min_bytes` is the fewest bytes an element
/// takes, which bounds the count a corrupt input can ask for.
template <class T, class EncodeOne>
void encode_list(const std::vector<T>& list, ByteWriter& out, EncodeOne encode_one) {
    out.write<std::uint64_t>(list.size());
    for (const auto& item : list) {
        encode_one(item, out);
    }
}

template <class T, class DecodeOne>
std::vector<T> decode_list(ByteReader& in, std::size_t min_bytes, const char* what, DecodeOne decode_one) {
    std::vector<T> list(in.read_count(min_bytes, what));
    for (auto& item : list) {
        item = decode_one(in);
    }
    return list;
}

inline void encode_sealed(const fedpp::secagg::EncryptedShares& item, ByteWriter& out) {
    out.write(item.peer);
    Codec<std::vector<std::uint8_t>>::encode(item.ciphertext, out);
}

inline fedpp::secagg::EncryptedShares decode_sealed(ByteReader& in) {
    fedpp::secagg::EncryptedShares item;
    item.peer = in.read<std::uint32_t>();
    item.ciphertext = Codec<std::vector<std::uint8_t>>::decode(in);
    return item;
}

constexpr std::size_t sealed_min_bytes = 4 + 8;

} // namespace detail::secagg

template <>
struct Codec<secagg::AdvertiseKeys> {
    static std::string type_name() { return "fedpp::secagg::AdvertiseKeys"; }
    static void encode(const secagg::AdvertiseKeys& m, ByteWriter& out) {
        detail::secagg::encode_key(m.encryption_key, out);
        detail::secagg::encode_key(m.masking_key, out);
    }
    static secagg::AdvertiseKeys decode(ByteReader& in) {
        secagg::AdvertiseKeys m;
        m.encryption_key = detail::secagg::decode_key(in);
        m.masking_key = detail::secagg::decode_key(in);
        return m;
    }
};

template <>
struct Codec<secagg::ShareKeysRequest> {
    static std::string type_name() { return "fedpp::secagg::ShareKeysRequest"; }
    static void encode(const secagg::ShareKeysRequest& m, ByteWriter& out) {
        detail::secagg::encode_list(m.neighbours, out, [](const secagg::PeerKeys& peer, ByteWriter& w) {
            w.write(peer.id);
            detail::secagg::encode_key(peer.encryption_key, w);
            detail::secagg::encode_key(peer.masking_key, w);
        });
    }
    static secagg::ShareKeysRequest decode(ByteReader& in) {
        secagg::ShareKeysRequest m;
        m.neighbours = detail::secagg::decode_list<secagg::PeerKeys>(in, 4 + 64, "the neighbour count", [](ByteReader& r) {
            secagg::PeerKeys peer;
            peer.id = r.read<std::uint32_t>();
            peer.encryption_key = detail::secagg::decode_key(r);
            peer.masking_key = detail::secagg::decode_key(r);
            return peer;
        });
        return m;
    }
};

template <>
struct Codec<secagg::ShareKeysResponse> {
    static std::string type_name() { return "fedpp::secagg::ShareKeysResponse"; }
    static void encode(const secagg::ShareKeysResponse& m, ByteWriter& out) {
        detail::secagg::encode_list(m.shares, out, detail::secagg::encode_sealed);
    }
    static secagg::ShareKeysResponse decode(ByteReader& in) {
        return {detail::secagg::decode_list<secagg::EncryptedShares>(in, detail::secagg::sealed_min_bytes,
                                                                     "the share count", detail::secagg::decode_sealed)};
    }
};

template <>
struct Codec<secagg::MaskedInputRequest> {
    static std::string type_name() { return "fedpp::secagg::MaskedInputRequest"; }
    static void encode(const secagg::MaskedInputRequest& m, ByteWriter& out) {
        detail::secagg::encode_list(m.shares, out, detail::secagg::encode_sealed);
    }
    static secagg::MaskedInputRequest decode(ByteReader& in) {
        return {detail::secagg::decode_list<secagg::EncryptedShares>(in, detail::secagg::sealed_min_bytes,
                                                                     "the share count", detail::secagg::decode_sealed)};
    }
};

template <>
struct Codec<secagg::MaskedInput> {
    static std::string type_name() { return "fedpp::secagg::MaskedInput"; }
    static void encode(const secagg::MaskedInput& m, ByteWriter& out) {
        Codec<std::vector<std::uint32_t>>::encode(m.words, out);
    }
    static secagg::MaskedInput decode(ByteReader& in) { return {Codec<std::vector<std::uint32_t>>::decode(in)}; }
};

template <>
struct Codec<secagg::UnmaskingRequest> {
    static std::string type_name() { return "fedpp::secagg::UnmaskingRequest"; }
    static void encode(const secagg::UnmaskingRequest& m, ByteWriter& out) {
        Codec<std::vector<std::uint32_t>>::encode(m.dropped, out);
        Codec<std::vector<std::uint32_t>>::encode(m.survivors, out);
    }
    static secagg::UnmaskingRequest decode(ByteReader& in) {
        secagg::UnmaskingRequest m;
        m.dropped = Codec<std::vector<std::uint32_t>>::decode(in);
        m.survivors = Codec<std::vector<std::uint32_t>>::decode(in);
        return m;
    }
};

template <>
struct Codec<secagg::UnmaskingResponse> {
    static std::string type_name() { return "fedpp::secagg::UnmaskingResponse"; }
    static void encode(const secagg::UnmaskingResponse& m, ByteWriter& out) {
        detail::secagg::encode_list(m.shares, out, [](const secagg::RevealedShare& share, ByteWriter& w) {
            w.write(share.owner);
            w.write(static_cast<std::uint8_t>(share.kind));
            Codec<std::vector<std::uint32_t>>::encode(share.values, w);
        });
    }
    static secagg::UnmaskingResponse decode(ByteReader& in) {
        return {detail::secagg::decode_list<secagg::RevealedShare>(in, 4 + 1 + 8, "the share count", [](ByteReader& r) {
            secagg::RevealedShare share;
            share.owner = r.read<std::uint32_t>();
            const std::size_t at = r.position();
            const auto kind = r.read<std::uint8_t>();
            if (kind > 1) {
                r.fail("the share kind " + std::to_string(kind) + " is neither 0 nor 1", at);
            }
            share.kind = static_cast<secagg::ShareKind>(kind);
            share.values = Codec<std::vector<std::uint32_t>>::decode(r);
            return share;
        })};
    }
};

template <>
struct Codec<secagg::Abort> {
    static std::string type_name() { return "fedpp::secagg::Abort"; }
    static void encode(const secagg::Abort& m, ByteWriter& out) { out.write_string(m.reason); }
    static secagg::Abort decode(ByteReader& in) { return {in.read_string()}; }
};

namespace detail::secagg {

/// A variant of messages: the index of the alternative (one byte), then it.
template <class Variant>
struct MessageVariantCodec {
    static void encode(const Variant& message, ByteWriter& out) {
        out.write(static_cast<std::uint8_t>(message.index()));
        std::visit([&](const auto& m) { Codec<std::decay_t<decltype(m)>>::encode(m, out); }, message);
    }
    static Variant decode(ByteReader& in) {
        const std::size_t at = in.position();
        const auto index = in.read<std::uint8_t>();
        if (index >= std::variant_size_v<Variant>) {
            in.fail("the message kind " + std::to_string(index) + " does not exist", at);
        }
        return decode_alternative(in, index, std::make_index_sequence<std::variant_size_v<Variant>>{});
    }

private:
    template <std::size_t... I>
    static Variant decode_alternative(ByteReader& in, std::size_t index, std::index_sequence<I...>) {
        Variant result;
        ((index == I ? (void)(result = Codec<std::variant_alternative_t<I, Variant>>::decode(in)) : void()), ...);
        return result;
    }
};

} // namespace detail::secagg

template <>
struct Codec<secagg::ClientMessage> : detail::secagg::MessageVariantCodec<secagg::ClientMessage> {
    static std::string type_name() { return "fedpp::secagg::ClientMessage"; }
};

template <>
struct Codec<secagg::ServerMessage> : detail::secagg::MessageVariantCodec<secagg::ServerMessage> {
    static std::string type_name() { return "fedpp::secagg::ServerMessage"; }
};

} // namespace fedpp
