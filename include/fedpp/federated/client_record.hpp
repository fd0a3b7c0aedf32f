// fedpp: what a checkpoint records of each client of a run (its example
// count, and whether it was left out), and how those records are encoded.
#pragma once

#include "fedpp/io/byte_reader.hpp"
#include "fedpp/io/byte_writer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fedpp::federated {

/// A client as a run saw it when its state was saved.
struct ClientRecord {
    /// Its example count (FederatedRun::client_sizes()): 0 if it was never
    /// reached; a client set aside after a refused round keeps its count.
    std::uint64_t examples = 0;
    /// Whether it was left out then (FederatedRun::unreachable_clients()).
    bool left_out = false;

    bool operator==(const ClientRecord&) const = default;
};

} // namespace fedpp::federated

namespace fedpp::detail {

template <class U>
void write_example_counts(const std::vector<federated::ClientRecord>& clients, ByteWriter& out) {
    std::vector<U> counts;
    counts.reserve(clients.size());
    for (const federated::ClientRecord& client : clients) {
        counts.push_back(static_cast<U>(client.examples));
    }
    out.write_array(counts.data(), counts.size());
}

template <class U>
void read_example_counts(ByteReader& in, std::vector<federated::ClientRecord>& clients) {
    std::vector<U> counts(clients.size());
    in.read_array(counts.data(), counts.size());
    for (std::size_t k = 0; k < clients.size(); ++k) {
        clients[k].examples = counts[k];
    }
}

/// The records: u8 the bytes of each example count (1, 2, 4 or 8, the
/// fewest that hold the largest: a million clients of a few examples take a
/// megabyte), u64 the client count and each client's example count in that
/// many bytes (little-endian), then u64 the number of clients left out and
/// their indices, increasing.
inline void encode_client_records(const std::vector<federated::ClientRecord>& clients, ByteWriter& out) {
    std::uint64_t largest = 0;
    std::vector<std::uint64_t> left_out;
    for (std::size_t k = 0; k < clients.size(); ++k) {
        largest = std::max(largest, clients[k].examples);
        if (clients[k].left_out) {
            left_out.push_back(k);
        }
    }
    const std::uint8_t width = largest <= 0xffU ? 1 : largest <= 0xffffU ? 2 : largest <= 0xffffffffU ? 4 : 8;
    out.write<std::uint8_t>(width);
    out.write<std::uint64_t>(clients.size());
    switch (width) {
    case 1: write_example_counts<std::uint8_t>(clients, out); break;
    case 2: write_example_counts<std::uint16_t>(clients, out); break;
    case 4: write_example_counts<std::uint32_t>(clients, out); break;
    default: write_example_counts<std::uint64_t>(clients, out); break;
    }
    out.write<std::uint64_t>(left_out.size());
    out.write_array(left_out.data(), left_out.size());
}

/// Reads what encode_client_records wrote, for a run of `client_count`
/// clients (a record for each, or none); SerializationError if it is not
/// well formed (another count of records, a width other than 1, 2, 4 or 8, a client left out that is not
/// one, or out of order).
inline std::vector<federated::ClientRecord> decode_client_records(ByteReader& in, std::uint64_t client_count) {
    const std::size_t at = in.position();
    const auto width = in.read<std::uint8_t>();
    if (width != 1 && width != 2 && width != 4 && width != 8) {
        in.fail("the client records' counts are of " + std::to_string(width) + " bytes, not 1, 2, 4 or 8", at);
    }
    const std::size_t count = in.read_count(width, "the client record count");
    if (count != client_count && count != 0) { // (none: a set-up read from format 3, saved again)
        in.fail(std::to_string(count) + " client records for " + std::to_string(client_count) + " clients", at);
    }
    std::vector<federated::ClientRecord> clients(count);
    switch (width) {
    case 1: read_example_counts<std::uint8_t>(in, clients); break;
    case 2: read_example_counts<std::uint16_t>(in, clients); break;
    case 4: read_example_counts<std::uint32_t>(in, clients); break;
    default: read_example_counts<std::uint64_t>(in, clients); break;
    }
    const std::size_t left_out = in.read_count(sizeof(std::uint64_t), "the count of clients left out");
    std::uint64_t first_allowed = 0;
    for (std::size_t i = 0; i < left_out; ++i) {
        const std::size_t index_at = in.position();
        const auto k = in.read<std::uint64_t>();
        if (k < first_allowed || k >= count) {
            in.fail("client " + std::to_string(k) + " is recorded as left out, out of order or not one of the " +
                        std::to_string(count) + " clients",
                    index_at);
        }
        clients[static_cast<std::size_t>(k)].left_out = true;
        first_allowed = k + 1;
    }
    return clients;
}

} // namespace fedpp::detail
