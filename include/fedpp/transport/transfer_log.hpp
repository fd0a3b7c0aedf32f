// fedpp: the record of every value that crossed between parties.
//
// Each send, move, get and declassify appends one entry: what kind of
// transfer, the value's type, how many bytes crossed, from whom and to whom.
// Tests read it to check privacy claims ("the model owner never received
// Bob's model") instead of trusting them.
#pragma once

#include "fedpp/base/separate_compilation.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp {

enum class TransferKind : std::uint8_t {
    send,       ///< model owner -> worker (send())
    move,       ///< worker -> worker, never through the model owner (Pointer::move())
    get,        ///< worker -> model owner (Pointer::get())
    declassify, ///< worker -> model owner, explicitly released (fedpp::declassify())
};

[[nodiscard]] constexpr std::string_view to_string(TransferKind kind) noexcept {
    switch (kind) {
    case TransferKind::send: return "send";
    case TransferKind::move: return "move";
    case TransferKind::get: return "get";
    case TransferKind::declassify: return "declassify";
    }
    return "?";
}

struct Transfer {
    TransferKind kind;
    std::string type;   ///< Codec type name, e.g. "fedpp::nn::Linear<f64>"
    std::size_t bytes;  ///< bytes that crossed
    std::string from;   ///< worker name, or the model owner's name
    std::string to;
    std::string reason; ///< for declassify: the reason given
    /// For an aggregate fetched from a trusted location: how many data
    /// owners contributed to it (0 for anything else).
    std::size_t contributions = 0;
};

class Federation;

namespace detail {
class Seam;
} // namespace detail

/// Thread-safe and append-only: the seam records every send, move, get and
/// declassify, and users (and tests) read what it recorded. Nothing but the
/// seam can add to it or remove from it: it is the audit trail of the code
/// it audits.
///
/// Recording copies no strings: each distinct name and type name is stored
/// once and numbered (once per worker and per value type), an entry holds
/// numbers, and entries() builds the Transfer values.
class TransferLog {
public:
    TransferLog() = default;
    TransferLog(const TransferLog&) = delete;
    TransferLog& operator=(const TransferLog&) = delete;
    ~TransferLog();

    /// A copy of the entries from the `first`-th on, oldest first (entries
    /// are numbered from 0 in the order they were recorded).
    [[nodiscard]] std::vector<Transfer> entries(std::size_t first = 0) const;

    /// How many entries are kept (the next one will be entries()[size()]).
    [[nodiscard]] std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return entries_.size();
    }

    /// Number of transfers since the federation began (counted even when
    /// entries are not kept).
    [[nodiscard]] std::size_t count() const {
        std::size_t total = 0;
        for (const auto& shard : totals_) {
            total += shard.count.load(std::memory_order_relaxed);
        }
        return total;
    }
    [[nodiscard]] std::size_t total_bytes() const {
        std::size_t total = 0;
        for (const auto& shard : totals_) {
            total += shard.bytes.load(std::memory_order_relaxed);
        }
        return total;
    }

    /// Whether entries are kept (Federation::keep_transfer_entries).
    [[nodiscard]] bool keeps_entries() const noexcept { return keep_entries_.load(std::memory_order_relaxed); }

private:
    friend class detail::Seam;
    friend class Federation;

    /// Long runs (thousands of rounds) can keep counters only, so the log
    /// does not grow; entries are kept by default.
    void keep_entries(bool keep);

    using TextId = std::uint32_t;
    static constexpr TextId no_text = ~TextId{0};
    static constexpr std::uint32_t no_reason = ~std::uint32_t{0};

    struct Entry {
        TransferKind kind;
        TextId type;
        TextId from;
        TextId to;
        std::uint32_t reason; // index into reasons_, or no_reason
        std::size_t bytes;
        std::size_t contributions;
    };

    // For the seam, which numbers workers densely (0 is the model owner) and
    // describes values by their ValueType, a static object per type.

    /// Numbers worker `worker`'s name, once, when it joins. Not interned:
    /// names are unique among live workers, and a federation may have
    /// thousands, so no search.
    void name_worker(std::uint32_t worker, std::string_view name);

    /// record() by worker number and by type (numbered on first use),
    /// without hashing a name. The totals are atomic, so when entries are
    /// not kept (long multi-threaded runs) no lock is taken at all.
    void record_transfer(TransferKind kind, const void* type_key, std::string_view type_name, std::size_t bytes,
                         std::uint32_t from, std::uint32_t to, std::string_view reason,
                         std::size_t contributions = 0);

    /// Adds to the totals in this thread's shard: threads transferring at
    /// the same time (clients training in parallel) do not contend for one
    /// counter's cache line.
    void count_transfer(std::size_t bytes) noexcept {
        Totals& shard = totals_[shard_of_this_thread()];
        shard.bytes.fetch_add(bytes, std::memory_order_relaxed);
        shard.count.fetch_add(1, std::memory_order_relaxed);
    }

    static std::size_t shard_of_this_thread() noexcept {
        static std::atomic<std::size_t> next_shard{0};
        thread_local const std::size_t shard = next_shard.fetch_add(1, std::memory_order_relaxed) % total_shards;
        return shard;
    }

    /// Called with mutex_ held. A federation moves a handful of value types,
    /// so a short list scanned in order beats a hash map.
    TextId type_text(const void* type_key, std::string_view type_name);

    /// Called with mutex_ held.
    TextId worker_text(std::uint32_t worker);

    /// The number of `text`, stored on first use. Called with mutex_ held.
    /// Names and type names are few and are looked up when a worker joins or
    /// a type first crosses, so a list is searched; they are kept for the
    /// log's lifetime (clear() included), so the numbers stay valid.
    TextId intern(std::string_view text);

    /// Called with mutex_ held.
    void append(TransferKind kind, TextId type, std::size_t bytes, TextId from, TextId to, std::string_view reason,
                std::size_t contributions);

    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
    std::vector<std::string> reasons_;                             // declassify's reasons, by entry
    std::vector<std::string> texts_;                               // names and type names, by number
    std::vector<TextId> worker_texts_;                             // by worker number
    std::vector<std::pair<const void*, TextId>> type_texts_;       // by ValueType
    struct alignas(64) Totals { // one cache line each
        std::atomic<std::size_t> bytes{0};
        std::atomic<std::size_t> count{0};
    };
    static constexpr std::size_t total_shards = 16;
    std::array<Totals, total_shards> totals_{};
    std::atomic<bool> keep_entries_{true};
};

} // namespace fedpp

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/transport/transfer_log-inl.hpp"
#endif
