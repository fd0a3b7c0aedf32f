// fedpp: a data owner's budget of released updates (Policy::max_released_updates).
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
// The count is of values moved out (secure aggregation's protocol messages
// aside, which carry no update), when they leave: one that does not arrive
// still counts, since the party cannot know that no one read it. It lasts
// the party's life: a party that restarts starts again from zero, unless
// its operator carries the count over (Policy::released_updates_before).
#pragma once

#include <atomic>
#include <cstdint>

namespace fedpp::party {

class ReleaseBudget {
public:
    /// `limit`: how many releases in all (0: no limit), `before`: how many
    /// of them were used already.
    explicit ReleaseBudget(std::uint64_t limit, std::uint64_t before = 0) noexcept : limit_(limit), used_(before) {}

    /// Takes one release; false, taking nothing, if none is left.
    bool take() noexcept {
        std::uint64_t used = used_.load(std::memory_order_relaxed);
        do {
            if (limit_ != 0 && used >= limit_) {
                return false;
            }
        } while (!used_.compare_exchange_weak(used, used + 1, std::memory_order_relaxed));
        return true;
    }

    [[nodiscard]] std::uint64_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
    /// Whether no release is left.
    [[nodiscard]] bool spent() const noexcept { return limit_ != 0 && used() >= limit_; }
    [[nodiscard]] std::uint64_t limit() const noexcept { return limit_; }

private:
    std::uint64_t limit_;
    std::atomic<std::uint64_t> used_;
};

} // namespace fedpp::party
