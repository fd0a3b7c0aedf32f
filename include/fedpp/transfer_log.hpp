// fedpp: the record of every value that crossed between parties.
//
// Each send, move, get and declassify appends one entry: what kind of
// transfer, the value's type, how many bytes crossed, from whom and to whom.
// Tests read it to check privacy claims ("the model owner never received
// Bob's model") instead of trusting them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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
};

namespace detail {
class Seam;
} // namespace detail

/// Thread-safe, append-only (until clear()).
///
/// The seam records every send, move, get and declassify, so recording
/// copies no strings: each distinct name and type name is stored once and
/// numbered (the seam looks the numbers up once per worker and per type),
/// an entry holds numbers, and entries() builds the Transfer values.
class TransferLog {
public:
    void record(const Transfer& transfer) {
        record(transfer.kind, transfer.type, transfer.bytes, transfer.from, transfer.to, transfer.reason);
    }

    /// record(Transfer) from views, which need only live for the call.
    void record(TransferKind kind, std::string_view type, std::size_t bytes, std::string_view from,
                std::string_view to, std::string_view reason = {}) {
        const std::lock_guard lock(mutex_);
        append(kind, intern(type), bytes, intern(from), intern(to), reason);
    }

    /// A copy of the entries, oldest first.
    [[nodiscard]] std::vector<Transfer> entries() const {
        const std::lock_guard lock(mutex_);
        std::vector<Transfer> out;
        out.reserve(entries_.size());
        for (const Entry& entry : entries_) {
            out.push_back({entry.kind, texts_[entry.type], entry.bytes, texts_[entry.from], texts_[entry.to],
                           entry.reason == no_reason ? std::string() : reasons_[entry.reason]});
        }
        return out;
    }

    /// Number of transfers since construction or clear() (counted even when
    /// entries are not kept).
    [[nodiscard]] std::size_t count() const {
        const std::lock_guard lock(mutex_);
        return total_count_;
    }
    [[nodiscard]] std::size_t total_bytes() const {
        const std::lock_guard lock(mutex_);
        return total_bytes_;
    }

    void clear() {
        const std::lock_guard lock(mutex_);
        entries_.clear();
        reasons_.clear();
        total_bytes_ = 0;
        total_count_ = 0;
    }

    /// Long runs (thousands of rounds) can keep counters only, so the log
    /// does not grow; entries are kept by default.
    void keep_entries(bool keep) {
        const std::lock_guard lock(mutex_);
        keep_entries_ = keep;
        if (!keep) {
            entries_.clear();
            entries_.shrink_to_fit();
            reasons_.clear();
            reasons_.shrink_to_fit();
        }
    }

private:
    friend class detail::Seam;

    using TextId = std::uint32_t;
    static constexpr std::uint32_t no_reason = ~std::uint32_t{0};

    struct Entry {
        TransferKind kind;
        TextId type;
        TextId from;
        TextId to;
        std::uint32_t reason; // index into reasons_, or no_reason
        std::size_t bytes;
    };

    /// The number of `text`, stored on first use. Names and type names are
    /// few, so they are kept for the log's lifetime (clear() included):
    /// the numbers the seam holds stay valid.
    TextId text_id(std::string_view text) {
        const std::lock_guard lock(mutex_);
        return intern(text);
    }

    /// record() with the texts' numbers (from text_id()).
    void record_ids(TransferKind kind, TextId type, std::size_t bytes, TextId from, TextId to,
                    std::string_view reason) {
        const std::lock_guard lock(mutex_);
        append(kind, type, bytes, from, to, reason);
    }

    /// Called with mutex_ held.
    TextId intern(std::string_view text) {
        if (const auto it = text_ids_.find(text); it != text_ids_.end()) {
            return it->second;
        }
        const auto id = static_cast<TextId>(texts_.size());
        const std::string& stored = texts_.emplace_back(text); // a deque: stored never moves
        text_ids_.emplace(stored, id);
        return id;
    }

    /// Called with mutex_ held.
    void append(TransferKind kind, TextId type, std::size_t bytes, TextId from, TextId to, std::string_view reason) {
        total_bytes_ += bytes;
        ++total_count_;
        if (!keep_entries_) {
            return;
        }
        std::uint32_t reason_index = no_reason;
        if (!reason.empty()) {
            reason_index = static_cast<std::uint32_t>(reasons_.size());
            reasons_.emplace_back(reason);
        }
        if (entries_.empty()) {
            entries_.reserve(64); // a round's transfers, without a reallocation per doubling
        }
        entries_.push_back({kind, type, from, to, reason_index, bytes});
    }

    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
    std::vector<std::string> reasons_;                             // declassify's reasons, by entry
    std::deque<std::string> texts_;                                // names and type names
    std::unordered_map<std::string_view, TextId> text_ids_;        // views of texts_
    std::size_t total_bytes_ = 0;
    std::size_t total_count_ = 0;
    bool keep_entries_ = true;
};

} // namespace fedpp
