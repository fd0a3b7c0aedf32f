// fedpp: what secure aggregation moves between data owners and a sum-only
// aggregator: masked updates and the protocol's messages.
//
// A Masked<M> is a data owner's update to a model M, encoded in fixed point
// and masked (fedpp::secagg::SecureRound::mask, fedpp::secure_aggregation):
// without the masks its words look uniformly random. It leaves its data
// owner only for a SumOnlyAggregator, and there it may only go into the
// secure sum (SecureRound::sum): it cannot be read, copied, moved on or
// computed on. What comes out is the unmasked sum of at least the
// location's min_contributions of them, an Aggregate<M>.
//
// A ProtocolMessage is one message of the secure aggregation protocol
// (public keys, sealed shares, the list of survivors, revealed shares): it
// moves between a data owner and a sum-only aggregator, and nobody reads it
// but the party state it is for.
//
// Only fedpp's secure aggregation makes either (their constructors are not
// public); these are the types the location rules (trust.hpp) name. Like
// any value, their bytes could be forged (a codec decodes any bytes); a
// forged masked update only spoils the sum (its masks do not cancel), and
// the aggregator takes a masked update only into the session it names, from
// the worker of the client it names.
#pragma once

#include "fedpp/io/bytes.hpp"
#include "fedpp/io/codec.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp {

namespace detail {
struct SecureAggregationAccess;
} // namespace detail

template <class M>
class Masked {
public:
    using model_type = M;

    /// The masked words: the weight, then each parameter value.
    [[nodiscard]] std::span<const std::uint32_t> words() const noexcept { return words_; }
    /// The session it was masked for, and the client's index in it: the
    /// aggregator takes it into that session's sum only, from that client.
    [[nodiscard]] const std::array<std::uint8_t, 32>& session() const noexcept { return session_; }
    [[nodiscard]] std::uint32_t client() const noexcept { return client_; }

private:
    friend struct detail::SecureAggregationAccess;
    Masked(std::vector<std::uint32_t> words, const std::array<std::uint8_t, 32>& session, std::uint32_t client) noexcept
        : words_(std::move(words)), session_(session), client_(client) {}

    std::vector<std::uint32_t> words_;
    std::array<std::uint8_t, 32> session_{};
    std::uint32_t client_ = 0;
};

class ProtocolMessage {
public:
    /// The encoded message (empty: none).
    [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
    [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }

private:
    friend struct detail::SecureAggregationAccess;
    explicit ProtocolMessage(std::vector<std::uint8_t> bytes) noexcept : bytes_(std::move(bytes)) {}

    std::vector<std::uint8_t> bytes_;
};

namespace detail {
/// Makes masked updates and protocol messages: fedpp's secure aggregation,
/// and the codecs.
struct SecureAggregationAccess {
    template <class M>
    static Masked<M> masked(std::vector<std::uint32_t> words, const std::array<std::uint8_t, 32>& session,
                            std::uint32_t client) noexcept {
        return Masked<M>(std::move(words), session, client);
    }
    static ProtocolMessage message(std::vector<std::uint8_t> bytes) noexcept {
        return ProtocolMessage(std::move(bytes));
    }
};
} // namespace detail

template <class M>
struct Codec<Masked<M>> {
    static std::string type_name() { return "fedpp::Masked<" + Codec<M>::type_name() + ">"; }
    static void encode(const Masked<M>& masked, ByteWriter& out) {
        out.write_array(masked.session().data(), masked.session().size());
        out.write<std::uint32_t>(masked.client());
        const auto words = masked.words();
        out.write<std::uint64_t>(words.size());
        out.write_array(words.data(), words.size());
    }
    static Masked<M> decode(ByteReader& in) {
        std::array<std::uint8_t, 32> session{};
        in.read_array(session.data(), session.size());
        const auto client = in.read<std::uint32_t>();
        std::vector<std::uint32_t> words(in.read_count(sizeof(std::uint32_t), "the masked words"));
        in.read_array(words.data(), words.size());
        return detail::SecureAggregationAccess::masked<M>(std::move(words), session, client);
    }
};

template <>
struct Codec<ProtocolMessage> {
    static std::string type_name() { return "fedpp::ProtocolMessage"; }
    static void encode(const ProtocolMessage& message, ByteWriter& out) {
        const auto bytes = message.bytes();
        out.write<std::uint64_t>(bytes.size());
        out.write_array(bytes.data(), bytes.size());
    }
    static ProtocolMessage decode(ByteReader& in) {
        std::vector<std::uint8_t> bytes(in.read_count(1, "a protocol message's length"));
        in.read_array(bytes.data(), bytes.size());
        return detail::SecureAggregationAccess::message(std::move(bytes));
    }
};

} // namespace fedpp
