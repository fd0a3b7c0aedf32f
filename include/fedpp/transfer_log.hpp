// fedpp: the record of every value that crossed between parties.
//
// Each send, move, get and declassify appends one entry: what kind of
// transfer, the value's type, how many bytes crossed, from whom and to whom.
// Tests read it to check privacy claims ("the model owner never received
// Bob's model") instead of trusting them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
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
class TransferLog {
public:
    void record(Transfer transfer) {
        const std::lock_guard lock(mutex_);
        total_bytes_ += transfer.bytes;
        ++total_count_;
        if (keep_entries_) {
            entries_.push_back(std::move(transfer));
        }
    }

    /// A copy of the entries, oldest first.
    [[nodiscard]] std::vector<Transfer> entries() const {
        const std::lock_guard lock(mutex_);
        return entries_;
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
        }
    }

private:
    mutable std::mutex mutex_;
    std::vector<Transfer> entries_;
    std::size_t total_bytes_ = 0;
    std::size_t total_count_ = 0;
    bool keep_entries_ = true;
};

} // namespace fedpp
