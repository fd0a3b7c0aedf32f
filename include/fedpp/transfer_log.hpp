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

/// Thread-safe, append-only (until clear()).
///
/// Every transfer is recorded (the seam logs each send, move, get and
/// declassify), so recording copies no strings: an entry holds the numbers
/// of its texts, each distinct text (a type name, a worker name) is stored
/// once, and entries() builds the Transfer values when asked.
class TransferLog {
public:
    void record(const Transfer& transfer) {
        record(transfer.kind, transfer.type, transfer.bytes, transfer.from, transfer.to, transfer.reason);
    }

    /// record(Transfer) from views, which need only live for the call.
    void record(TransferKind kind, std::string_view type, std::size_t bytes, std::string_view from,
                std::string_view to, std::string_view reason = {}) {
        const std::lock_guard lock(mutex_);
        total_bytes_ += bytes;
        ++total_count_;
        if (keep_entries_) {
            entries_.push_back({kind, intern(type), intern(from), intern(to), intern(reason), bytes});
        }
    }

    /// A copy of the entries, oldest first.
    [[nodiscard]] std::vector<Transfer> entries() const {
        const std::lock_guard lock(mutex_);
        std::vector<Transfer> out;
        out.reserve(entries_.size());
        for (const Entry& entry : entries_) {
            out.push_back({entry.kind, texts_[entry.type], entry.bytes, texts_[entry.from], texts_[entry.to],
                           texts_[entry.reason]});
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
        text_ids_.clear();
        texts_.clear();
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
            text_ids_.clear();
            texts_.clear();
        }
    }

private:
    struct Entry {
        TransferKind kind;
        std::uint32_t type; // indices into texts_
        std::uint32_t from;
        std::uint32_t to;
        std::uint32_t reason;
        std::size_t bytes;
    };

    /// The number of `text` in texts_, added if new. Called with mutex_ held.
    std::uint32_t intern(std::string_view text) {
        if (const auto it = text_ids_.find(text); it != text_ids_.end()) {
            return it->second;
        }
        const auto id = static_cast<std::uint32_t>(texts_.size());
        const std::string& stored = texts_.emplace_back(text); // a deque: stored never moves
        text_ids_.emplace(stored, id);
        return id;
    }

    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
    std::deque<std::string> texts_;
    std::unordered_map<std::string_view, std::uint32_t> text_ids_; // views of texts_
    std::size_t total_bytes_ = 0;
    std::size_t total_count_ = 0;
    bool keep_entries_ = true;
};

} // namespace fedpp
