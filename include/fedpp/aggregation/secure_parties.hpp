// fedpp: the parties' side of a SecureRound (secure_round.hpp): the state
// each keeps, and the computations fedpp runs at them through the seam.
//
// A data owner keeps a ClientParty (its secagg::Client, its secrets and the
// fixed-point encoding); the sum-only aggregator keeps a ServerParty (its
// secagg::Server). Neither ever leaves its party: their codecs refuse. Each
// protocol message is a ProtocolMessage object that moves between a data
// owner and the aggregator, and the aggregator tells who sent one by the
// contributor the transport recorded when it arrived, never by the message.
// Needs OpenSSL 3 (CMake target fedpp::secure_aggregation).
#pragma once

#include "fedpp/aggregation/contributions.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/io/bytes.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/located/aggregate.hpp"
#include "fedpp/located/masked.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/secure_aggregation/client.hpp"
#include "fedpp/secure_aggregation/fixed_point.hpp"
#include "fedpp/secure_aggregation/graph.hpp"
#include "fedpp/secure_aggregation/message_codecs.hpp"
#include "fedpp/secure_aggregation/random_source.hpp"
#include "fedpp/secure_aggregation/server.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/value_type.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::detail::secagg {

namespace sa = fedpp::secagg;

/// What every party of a session is told: the protocol's settings, the
/// encoding, and (tests, simulations) a seed for its secrets.
struct Settings {
    sa::Config config;
    sa::FixedPointConfig encoding;
    std::optional<std::uint64_t> seed; ///< empty: OpenSSL's DRBG

    void write(ByteWriter& out) const {
        out.write<std::uint32_t>(config.clients);
        out.write<std::uint32_t>(config.degree);
        out.write<std::uint32_t>(config.threshold);
        out.write<std::uint32_t>(config.min_clients);
        out.write<std::uint64_t>(config.vector_length);
        out.write_array(config.session_id.data(), config.session_id.size());
        out.write(encoding.clipping_range);
        out.write<std::int32_t>(encoding.fraction_bits);
        out.write(encoding.max_weight);
        out.write<std::uint8_t>(seed ? 1 : 0);
        out.write<std::uint64_t>(seed.value_or(0));
    }
    static Settings read(ByteReader& in) {
        Settings s;
        s.config.clients = in.read<std::uint32_t>();
        s.config.degree = in.read<std::uint32_t>();
        s.config.threshold = in.read<std::uint32_t>();
        s.config.min_clients = in.read<std::uint32_t>();
        s.config.vector_length = static_cast<std::size_t>(in.read<std::uint64_t>());
        in.read_array(s.config.session_id.data(), s.config.session_id.size());
        s.encoding.clipping_range = in.read<double>();
        s.encoding.fraction_bits = in.read<std::int32_t>();
        s.encoding.max_weight = in.read<double>();
        const bool seeded = in.read<std::uint8_t>() != 0;
        const auto seed = in.read<std::uint64_t>();
        s.seed = seeded ? std::optional(seed) : std::nullopt;
        return s;
    }
};

/// The values of a model's parameters, in order, and back.
template <nn::Model M>
std::vector<double> values_of(const M& model) {
    std::vector<double> values;
    for (const auto& p : model.parameters()) {
        const auto& v = p.value();
        values.insert(values.end(), v.data(), v.data() + v.size());
    }
    return values;
}

template <nn::Model M>
std::size_t value_count(const M& model) {
    std::size_t count = 0;
    for (const auto& p : model.parameters()) {
        count += static_cast<std::size_t>(p.value().size());
    }
    return count;
}

template <nn::Model M>
void load_values(M& model, const std::vector<double>& values) {
    using T = typename M::scalar_type;
    std::size_t at = 0;
    for (auto& p : model.parameters()) {
        auto& v = p.value();
        for (Index i = 0; i < v.size(); ++i) {
            v.data()[i] = static_cast<T>(values.at(at++));
        }
    }
}

inline std::vector<std::uint8_t> bytes_of(const Bytes& bytes) {
    const auto* first = reinterpret_cast<const std::uint8_t*>(bytes.data());
    return {first, first + bytes.size()};
}

template <class Message>
ProtocolMessage message_of(const Message& message) {
    return SecureAggregationAccess::message(bytes_of(to_bytes(message)));
}

template <class Message>
Message decode(const ProtocolMessage& message, const char* what) {
    const auto bytes = message.bytes();
    return from_bytes<Message>(std::as_bytes(bytes), what);
}

/// A session's degree: n - 1 for 0 (or more than n - 1); ArgumentError
/// for an odd one, or one below sa::NeighbourGraph::minimum_degree(n).
inline std::uint32_t session_degree(std::uint32_t degree, std::uint32_t n) {
    if (degree % 2 != 0) {
        throw ArgumentError("SecureRound: a sparse graph's degree is even, not " + std::to_string(degree) +
                            " (0: the complete graph)");
    }
    if (degree == 0 || degree >= n - 1) {
        return n - 1;
    }
    if (degree < sa::NeighbourGraph::minimum_degree(n)) {
        throw ArgumentError("SecureRound: degree " + std::to_string(degree) + " is below the least fedpp accepts "
                            "for " + std::to_string(n) + " participants (" +
                            std::to_string(sa::NeighbourGraph::minimum_degree(n)) +
                            ", NeighbourGraph::minimum_degree): too few colluding neighbours would unmask one");
    }
    return degree;
}

/// A data owner's part of the session, kept at the data owner.
class ClientParty {
public:
    ClientParty(const Settings& settings, sa::ClientId id)
        : random_(settings.seed ? std::unique_ptr<sa::RandomSource>(std::make_unique<sa::SeededRandom>(
                                      seed_of(*settings.seed, id)))
                                : std::make_unique<sa::OsRandom>()),
          client_(std::make_unique<sa::Client>(settings.config, id, *random_)), encoding_(settings.encoding) {}

    /// Held by each step: a hostile caller may send two at once.
    [[nodiscard]] std::unique_lock<std::mutex> lock() const { return std::unique_lock(*mutex_); }
    [[nodiscard]] sa::Client& client() noexcept { return *client_; }
    [[nodiscard]] const sa::Config& config() const noexcept { return client_->config(); }
    /// A client keeps an entry for each holder of its shares.
    static std::size_t neighbour_entries(const sa::Config& config) noexcept { return config.holders(); }
    [[nodiscard]] const sa::FixedPointEncoding& encoding() const noexcept { return encoding_; }
    /// The server's request for the masked input, kept until the input is given.
    std::optional<sa::ServerMessage> pending;

    /// Client `id`'s stream of a seeded session: the seed, then the id (the
    /// server's graph: id n).
    static sa::Secret32 seed_of(std::uint64_t seed, sa::ClientId id) {
        sa::Secret32 secret;
        for (std::size_t i = 0; i < 8; ++i) {
            secret.mutable_bytes()[i] = static_cast<std::uint8_t>(seed >> (8 * i));
        }
        for (std::size_t i = 0; i < 4; ++i) {
            secret.mutable_bytes()[8 + i] = static_cast<std::uint8_t>(id >> (8 * i));
        }
        return secret;
    }

private:
    std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
    std::unique_ptr<sa::RandomSource> random_; // (on the heap: the client keeps its address)
    std::unique_ptr<sa::Client> client_;
    sa::FixedPointEncoding encoding_;
};

/// Checks that `party`'s client may mask (client_mask) `update` with a
/// noise share of standard deviation `stddev` (finite, >= 0) under the
/// worker's `rules`. With a floor (mask_floor(): clip norm C, multipliers
/// f and g, the own share's), PermissionDeniedError if stddev is below
/// max(f C / sqrt(t), g C), t the session's threshold (the update is then
/// clipped to C where it is noised). ArgumentError if the encoding's range
/// does not hold the update (with a floor: C) and 6 stddev (the noise would
/// be clipped, and be no longer Gaussian). With a floor neither depends on
/// the update: a refusal tells nothing of it (but client_mask's clip_l2
/// refuses an update that is not finite).
template <nn::Model M>
void check_mask_share(const M& update, double stddev, ClientParty& party, const WorkerRules& rules) {
    double largest = 0; // (a bound on) the update's largest magnitude
    if (rules.mask_floor()) {
        const std::uint32_t t = party.client().config().threshold;
        const double clip = rules.mask_max_clip_norm;
        const double own = rules.mask_min_own_noise_multiplier;
        const double floor =
            std::max(rules.mask_min_noise_multiplier * clip / std::sqrt(static_cast<double>(t)), own * clip);
        if (!(stddev >= floor)) {
            throw PermissionDeniedError(
                "SecureRound::mask: a noise share of standard deviation " + std::to_string(stddev) +
                " is below this data owner's floor, " +
                (own > 0 ? "max(mask_min_noise_multiplier x mask_max_clip_norm / sqrt(t), "
                           "mask_min_own_noise_multiplier x mask_max_clip_norm)"
                         : "mask_min_noise_multiplier x mask_max_clip_norm / sqrt(t)") +
                " = " + std::to_string(floor) + " (t = " + std::to_string(t) + ")");
        }
        largest = rules.mask_max_clip_norm;
    } else if (stddev > 0) {
        for (const auto& p : update.parameters()) {
            if (p.size() != 0) {
                largest = std::max(largest, static_cast<double>(p.value().cwiseAbs().maxCoeff()));
            }
        }
    }
    const double range = party.encoding().config().clipping_range;
    if (stddev > 0 && !(largest + 6 * stddev <= range)) {
        throw ArgumentError("SecureRound::mask: the update (largest magnitude " +
                            std::string(rules.mask_floor() ? "at most " : "") + std::to_string(largest) +
                            ") and 6 standard deviations of its noise (" + std::to_string(stddev) +
                            ") do not fit the encoding's clipping range " + std::to_string(range) +
                            ": the noise would be clipped");
    }
}

/// The sum-only aggregator's part of the session.
class ServerParty {
public:
    /// participants[c]: client c's name, by which the store that holds this
    /// state knows its contributions (ContributorNames). ArgumentError: a
    /// name given twice, or empty.
    ServerParty(const Settings& settings, std::vector<std::string> participants)
        : server_(settings.config, graph_of(settings)), encoding_(settings.encoding),
          participants_(std::move(participants)), outbox_(settings.config.clients) {
        for (std::size_t c = 0; c < participants_.size(); ++c) {
            if (participants_[c].empty() ||
                std::find(participants_.begin(), participants_.begin() + static_cast<std::ptrdiff_t>(c),
                          participants_[c]) != participants_.begin() + static_cast<std::ptrdiff_t>(c)) {
                throw ArgumentError("secure aggregation: the participants' names must be different and not empty");
            }
        }
    }

    /// Held by each step: a hostile caller may send two at once.
    [[nodiscard]] std::unique_lock<std::mutex> lock() const { return std::unique_lock(*mutex_); }
    [[nodiscard]] sa::Server& server() noexcept { return server_; }
    [[nodiscard]] const sa::Config& config() const noexcept { return server_.config(); }
    /// The server keeps the neighbour list of every client.
    static std::size_t neighbour_entries(const sa::Config& config) noexcept {
        return std::size_t{config.clients} * config.holders();
    }
    [[nodiscard]] const sa::FixedPointEncoding& encoding() const noexcept { return encoding_; }

    /// The client that moved an object here (`contributor`, named by
    /// `names`), or AggregationError.
    [[nodiscard]] sa::ClientId client_of(ContributorId contributor, const ContributorNames* names) const {
        const std::string name =
            contributor == no_contributor || names == nullptr ? std::string() : names->name_of(contributor);
        const auto it = std::find(participants_.begin(), participants_.end(), name);
        if (name.empty() || it == participants_.end()) {
            throw AggregationError("secure aggregation: a message or masked update that no participant of the "
                                   "session moved here");
        }
        return static_cast<sa::ClientId>(it - participants_.begin());
    }

    void close_round() {
        for (auto& [to, message] : server_.close_round()) {
            outbox_.at(to) = std::move(message);
        }
    }
    /// The message of the round for client c, if any (then taken).
    std::optional<sa::ServerMessage> take(sa::ClientId c) { return std::exchange(outbox_.at(c), std::nullopt); }

private:
    /// The complete graph, or a random Harary graph of the settings' degree
    /// (its randomness: the session's seed, after the clients' streams, or
    /// OpenSSL's DRBG).
    static sa::NeighbourGraph graph_of(const Settings& settings) {
        const sa::Config& config = settings.config;
        if (config.degree >= config.clients - 1) {
            return sa::NeighbourGraph::complete(config.clients);
        }
        if (settings.seed) {
            sa::SeededRandom random(ClientParty::seed_of(*settings.seed, config.clients));
            return sa::NeighbourGraph::random_harary(config.clients, config.degree, random);
        }
        sa::OsRandom random;
        return sa::NeighbourGraph::random_harary(config.clients, config.degree, random);
    }

    std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
    sa::Server server_;
    sa::FixedPointEncoding encoding_;
    std::vector<std::string> participants_;
    std::vector<std::optional<sa::ServerMessage>> outbox_;
};

/// The codec of a party's state: there is none, it never leaves its party.
template <class Party>
struct StaysAtItsParty {
    /// What a party's quota counts for it (ValueType::encoded_size): an
    /// estimate from its session's settings, its vector of words and
    /// held_per_neighbour bytes (keys, shares) for each neighbour entry it
    /// may keep.
    static std::size_t held_bytes(const Party& party) {
        const sa::Config& config = party.config();
        return config.vector_length * sizeof(std::uint32_t) +
               Party::neighbour_entries(config) * std::size_t{held_per_neighbour};
    }
    static constexpr std::uint32_t held_per_neighbour = 128;
    [[noreturn]] static void refuse() {
        throw SerializationError("a secure aggregation party's state never leaves the party that keeps it");
    }
    static void encode(const Party&, ByteWriter&) { refuse(); }
    static Party decode(ByteReader&) { refuse(); }
};

} // namespace fedpp::detail::secagg

namespace fedpp {

template <>
struct Codec<detail::secagg::ClientParty> : detail::secagg::StaysAtItsParty<detail::secagg::ClientParty> {
    static std::string type_name() { return "fedpp::secagg::ClientParty"; }
};
template <>
struct Codec<detail::secagg::ServerParty> : detail::secagg::StaysAtItsParty<detail::secagg::ServerParty> {
    static std::string type_name() { return "fedpp::secagg::ServerParty"; }
};

} // namespace fedpp
