// fedpp: a data owner's budgets of released updates and scalars
// (Policy::max_released_updates, Policy::max_released_scalars).
//
// Each value a data owner moves out, to a trusted aggregator or (masked) to
// a sum-only aggregator, can go into one aggregate, and each aggregate
// that holds it tells a little about its data: under differential privacy
// the loss adds up release after release, and without it a model owner
// who asks for the same update again and again (retraining with other
// seeds) can average away whatever hides it. The data owner therefore
// counts what it lets out and, past its own limit, refuses: how much it
// tells is its decision, not the model owner's.
//
// Scalars made from its data (a loss, an example count) are counted
// apart, with a budget of their own: each answers one question about its
// data (the loss of a model the requester chose, say), and enough answers
// tell the data, but a run asks for one or two a round.
//
// The count is of values made from its data (Host marks them) let out,
// secure aggregation's protocol messages aside, when they leave: one that
// does not arrive still counts, since the party cannot know that no one
// read it (a fetched value stays until its requester erases it, and
// fetched again it is not counted again: it is the same value). In memory
// it lasts the party's life; with a file (Policy::released_updates_file,
// released_scalars_file) it outlives restarts and crashes: each count is
// written there, atomically and synced, before the value leaves, and a
// party that starts reads it back.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/io/errors.hpp"
#include "fedpp/io/file.hpp"
#include "fedpp/party/policy.hpp"
#include "fedpp/transport/request.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <unordered_set>
#include <utility>

namespace fedpp::detail {

/// What a value a data owner lets out spends (crossing_rules.hpp's
/// release_kind says which).
enum class ReleaseKind { none, update, scalar };

inline constexpr const char* release_budget_rule =
    "this data owner's budget of released updates, Policy::max_released_updates, is spent";
inline constexpr const char* scalar_budget_rule =
    "this data owner's budget of released scalars, Policy::max_released_scalars, is spent";

} // namespace fedpp::detail

namespace fedpp::party {

class ReleaseBudget {
public:
    /// `limit`: how many releases in all (0: no limit); the count starts at
    /// `before`, or at the count in `file` if that is larger. `file` (""
    /// for none) is written at once: ArgumentError if it holds anything
    /// but a count, IoError if it cannot be read or written. `counted`
    /// names what it counts in those errors ("updates", "scalars").
    explicit ReleaseBudget(std::uint64_t limit, std::uint64_t before = 0, std::string file = {},
                           const char* counted = "updates")
        : limit_(limit), used_(before), file_(std::move(file)), counted_(counted) {
        if (!file_.empty()) {
            used_ = std::max(before, read_count());
            write_count(used_);
        }
    }

    /// Takes one release (written to the file first, if there is one);
    /// false, taking nothing, if none is left. IoError, taking nothing, if
    /// the file cannot be written.
    bool take() {
        const std::lock_guard lock(mutex_); // (one move at a time: the file's count is never behind memory's)
        const std::uint64_t used = used_.load(std::memory_order_relaxed);
        if (limit_ != 0 && used >= limit_) {
            return false;
        }
        if (!file_.empty()) {
            write_count(used + 1);
        }
        used_.store(used + 1, std::memory_order_relaxed);
        return true;
    }

    [[nodiscard]] std::uint64_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t limit() const noexcept { return limit_; }
    /// Whether no release is left.
    [[nodiscard]] bool spent() const noexcept { return limit_ != 0 && used() >= limit_; }

private:
    /// The count in the file, or 0 if there is no file yet.
    [[nodiscard]] std::uint64_t read_count() const {
        std::error_code error;
        if (!std::filesystem::exists(file_, error)) {
            return 0;
        }
        Bytes bytes;
        try {
            bytes = io::detail::read_file(file_);
        } catch (const io::WeightsFileError& e) {
            throw IoError("the released-" + std::string(counted_) + " file " + e.what());
        }
        const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        std::uint64_t count = 0;
        const auto end = text.size() - (text.ends_with('\n') ? 1 : 0);
        const auto [at, parsed] = std::from_chars(text.data(), text.data() + end, count);
        if (parsed != std::errc() || at != text.data() + end || end == 0) {
            throw ArgumentError("the released-" + std::string(counted_) + " file '" + file_ +
                                "' holds no count (a whole number): it is not this party's, or it was damaged");
        }
        return count;
    }

    void write_count(std::uint64_t count) const {
        const std::string text = std::to_string(count) + "\n";
        try {
            io::detail::write_file_atomically(
                file_, {reinterpret_cast<const std::byte*>(text.data()), text.size()});
        } catch (const io::WeightsFileError& e) {
            throw IoError("the released-" + std::string(counted_) + " file " + e.what());
        }
    }

    std::uint64_t limit_;
    std::atomic<std::uint64_t> used_;
    std::string file_;
    const char* counted_;
    std::mutex mutex_;
};

/// A data owner's two budgets, as its policy sets them (a party of another
/// role has neither: check_role_settings refuses them there).
struct ReleaseBudgets {
    explicit ReleaseBudgets(const Policy& policy)
        : updates(policy.max_released_updates, policy.released_updates_before, policy.released_updates_file),
          scalars(policy.max_released_scalars, policy.released_scalars_before, policy.released_scalars_file,
                  "scalars") {}

    /// Takes one release of `kind` from its budget: nullptr, or the rule
    /// that refuses it (nothing taken) if that budget is spent.
    const char* take(detail::ReleaseKind kind) {
        switch (kind) {
        case detail::ReleaseKind::update: return updates.take() ? nullptr : detail::release_budget_rule;
        case detail::ReleaseKind::scalar: return scalars.take() ? nullptr : detail::scalar_budget_rule;
        case detail::ReleaseKind::none: break;
        }
        return nullptr;
    }

    /// take(kind) for the value of object `id` fetched, unless it was taken
    /// for `id` before: a fetched object stays until its requester erases
    /// it, and a value fetched again (an answer lost on the way) is the same
    /// value, told once. (Host::fetch calls it for one request of a
    /// requester at a time, and an object is one requester's.)
    const char* take_for(ObjectId id, detail::ReleaseKind kind) {
        if (kind == detail::ReleaseKind::none) {
            return nullptr;
        }
        {
            const std::lock_guard lock(fetched_mutex_);
            if (fetched_.count(id) != 0) {
                return nullptr;
            }
        }
        const char* rule = take(kind); // (not under the lock: it may write and sync a file)
        if (rule == nullptr) {
            const std::lock_guard lock(fetched_mutex_);
            fetched_.insert(id);
        }
        return rule;
    }

    /// Object `id` is gone (its number is never used again).
    void forget(ObjectId id) {
        const std::lock_guard lock(fetched_mutex_);
        fetched_.erase(id);
    }

    ReleaseBudget updates;
    ReleaseBudget scalars;

private:
    std::mutex fetched_mutex_;
    std::unordered_set<ObjectId> fetched_; // fetched objects, taken for, still here
};

} // namespace fedpp::party
