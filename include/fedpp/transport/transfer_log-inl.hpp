// fedpp: TransferLog's definitions (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/transfer_log.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp {

FEDPP_INLINE TransferLog::~TransferLog() = default;

FEDPP_INLINE std::vector<Transfer> TransferLog::entries(std::size_t first) const {
    const std::lock_guard lock(mutex_);
    std::vector<Transfer> out;
    if (first >= entries_.size()) {
        return out;
    }
    out.reserve(entries_.size() - first);
    for (auto it = entries_.begin() + static_cast<std::ptrdiff_t>(first); it != entries_.end(); ++it) {
        const Entry& entry = *it;
        out.push_back({entry.kind, texts_[entry.type], entry.bytes, texts_[entry.from], texts_[entry.to],
                       entry.reason == no_reason ? std::string() : reasons_[entry.reason], entry.contributions});
    }
    return out;
}

FEDPP_INLINE void TransferLog::keep_entries(bool keep) {
    const std::lock_guard lock(mutex_);
    keep_entries_.store(keep, std::memory_order_relaxed);
    if (!keep) {
        entries_.clear();
        entries_.shrink_to_fit();
        reasons_.clear();
        reasons_.shrink_to_fit();
    }
}

FEDPP_INLINE void TransferLog::name_worker(std::uint32_t worker, std::string_view name) {
    const std::lock_guard lock(mutex_);
    if (worker_texts_.size() <= worker) {
        worker_texts_.resize(worker + 1, no_text);
    }
    texts_.emplace_back(name);
    worker_texts_[worker] = static_cast<TextId>(texts_.size() - 1);
}

FEDPP_INLINE void TransferLog::record_transfer(TransferKind kind, const void* type_key, std::string_view type_name,
                                               std::size_t bytes, std::uint32_t from, std::uint32_t to,
                                               std::string_view reason, std::size_t contributions) {
    if (!keep_entries_.load(std::memory_order_relaxed)) {
        count_transfer(bytes);
        return;
    }
    const std::lock_guard lock(mutex_);
    append(kind, type_text(type_key, type_name), bytes, worker_text(from), worker_text(to), reason,
           contributions);
}

FEDPP_INLINE TransferLog::TextId TransferLog::type_text(const void* type_key, std::string_view type_name) {
    for (const auto& [key, text] : type_texts_) {
        if (key == type_key) {
            return text;
        }
    }
    const TextId text = intern(type_name);
    type_texts_.emplace_back(type_key, text);
    return text;
}

FEDPP_INLINE TransferLog::TextId TransferLog::worker_text(std::uint32_t worker) {
    if (worker < worker_texts_.size() && worker_texts_[worker] != no_text) {
        return worker_texts_[worker];
    }
    return intern("worker " + std::to_string(worker)); // not reached: every worker is named when it joins
}

FEDPP_INLINE TransferLog::TextId TransferLog::intern(std::string_view text) {
    for (std::size_t id = 0; id < texts_.size(); ++id) {
        if (texts_[id] == text) {
            return static_cast<TextId>(id);
        }
    }
    texts_.emplace_back(text);
    return static_cast<TextId>(texts_.size() - 1);
}

FEDPP_INLINE void TransferLog::append(TransferKind kind, TextId type, std::size_t bytes, TextId from, TextId to,
                                      std::string_view reason, std::size_t contributions) {
    count_transfer(bytes);
    if (!keep_entries_.load(std::memory_order_relaxed)) {
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
    entries_.push_back({kind, type, from, to, reason_index, bytes, contributions});
}

} // namespace fedpp
