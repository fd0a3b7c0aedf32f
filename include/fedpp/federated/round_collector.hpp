// fedpp: putting a round's client updates together at the aggregator, in an
// order fixed by the selection alone.
//
// One thread trains a whole group of consecutive clients and sums its valid
// updates into a partial sum of the group's own at the aggregator; the
// RoundCollector adds the group sums to the round's sum in group order,
// whichever thread finished them. That order, not the threads, decides the
// bits of the result.
#pragma once

#include "fedpp/aggregation/accumulate.hpp"
#include "fedpp/aggregation/weighted_sum.hpp"
#include "fedpp/federated/metrics.hpp"
#include "fedpp/federated/parties.hpp"
#include "fedpp/federated/thread_team.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/worker.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// Groups of consecutive clients per round, at most: the order in which
/// updates are summed depends on it (and on the selection), never on the
/// thread count.
inline constexpr std::size_t max_groups_per_round = 64;

/// How many consecutive selected clients a group has, and how many groups
/// a round of `selected` clients has.
inline std::size_t group_size(std::size_t selected) noexcept {
    return std::max<std::size_t>(1, (selected + max_groups_per_round - 1) / max_groups_per_round);
}
inline std::size_t group_count(std::size_t selected) noexcept {
    const std::size_t group = group_size(selected);
    return (selected + group - 1) / group;
}

/// What became of one client of a group.
struct ClientOutcome {
    std::size_t client = 0;
    double loss = 0;
    std::string failure; ///< empty: its update is in the group's sum
    bool refused = false; ///< the failure is the client's refusal (ClientFailure::refused)
};

/// A group's work, at the aggregator: the weighted sum of its valid updates
/// (weighted_mean), or the updates themselves (the robust aggregations,
/// which need them all at the end of the round).
template <class M>
struct GroupResult {
    std::size_t thread = 0; ///< the thread that trained it
    std::optional<Pointer<WeightedSum<M>, federated::Aggregator>> partial;
    std::vector<Pointer<M, federated::Aggregator>> updates;
    std::vector<Pointer<double, federated::Aggregator>> indicators; ///< DP adaptive clipping's, in client order
    std::vector<ClientOutcome> clients;
};

/// Adds group sums to the round's sum in group order: a group that finishes
/// early waits (at the aggregator) until its predecessors are in. At most
/// `capacity` groups wait; a thread with another one blocks until there is
/// room, which bounds memory. One thread at a time adds (the "drainer"),
/// outside the lock, so that the others can hand in their groups meanwhile.
///
/// A partial sum, once added, goes back to the thread that filled it, which
/// reuses it for its next group of the round and deletes it at the round's
/// end: a thread's sums stay in its core's cache, and its memory is freed
/// where it was allocated.
template <class M>
class RoundCollector {
public:
    using SumPointer = Pointer<WeightedSum<M>, federated::Aggregator>;

    /// `sum`: the round's sum (streaming), or null (the robust aggregations,
    /// which keep the updates); `sizes`: every client's example count.
    RoundCollector(Worker<federated::Aggregator>& aggregator, SumPointer* sum, const M& reference,
                   std::span<const std::size_t> sizes, std::size_t threads)
        : aggregator_(aggregator), sum_(sum), reference_(reference), sizes_(sizes), capacity_(2 * threads + 1),
          returned_(threads) {}

    /// An empty partial sum for thread `thread`'s next group.
    SumPointer take_partial(std::size_t thread) {
        std::optional<SumPointer> reused;
        {
            const std::lock_guard lock(mutex_);
            auto& mine = returned_[thread];
            if (!mine.empty()) {
                reused.emplace(std::move(mine.back()));
                mine.pop_back();
            }
        }
        if (reused) {
            return std::move(*reused); // emptied by merge()
        }
        return send(WeightedSum<M>(reference_), aggregator_);
    }

    /// Hands in group `index`, computed by thread `thread`. Once the round
    /// is abandoned (abort()), drops the group and returns at once.
    void complete(std::size_t index, std::size_t thread, GroupResult<M> result) {
        result.thread = thread;
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] { return aborted_ || index == next_ || waiting_.size() < capacity_; });
        if (aborted_) {
            return;
        }
        waiting_.emplace(index, std::move(result));
        if (draining_) {
            return; // the drainer will add it in its turn
        }
        draining_ = true;
        drain(lock);
        draining_ = false;
    }

    /// Abandons the round: threads waiting for their turn return, and no
    /// more groups are taken or added.
    void abort() noexcept {
        {
            const std::lock_guard lock(mutex_);
            aborted_ = true;
        }
        room_.notify_all();
    }

    [[nodiscard]] bool aborted() {
        const std::lock_guard lock(mutex_);
        return aborted_;
    }

    /// Deletes thread `thread`'s partial sums (its last call of the round).
    void release(std::size_t thread) {
        std::vector<SumPointer> mine;
        const std::lock_guard lock(mutex_);
        mine.swap(returned_[thread]);
    }

    /// The round's failures, clients, examples and mean training loss (none
    /// without a valid update).
    void report(federated::RoundMetrics& metrics) {
        metrics.failures = std::move(failures);
        metrics.clients_aggregated = aggregated;
        metrics.examples = examples;
        metrics.train_loss.reset();
        if (examples > 0) {
            metrics.train_loss = weighted_loss / double(examples);
        }
    }

    std::vector<federated::ClientFailure> failures;
    std::size_t aggregated = 0;
    std::size_t examples = 0;
    double weighted_loss = 0;
    /// The valid updates, in client order, for the non-streaming aggregations.
    std::vector<Pointer<M, federated::Aggregator>> kept;
    /// DP adaptive clipping: the valid updates' indicators, in client order.
    std::vector<Pointer<double, federated::Aggregator>> indicators;

private:
    /// Adds the waiting groups that are next in order, with `lock` held on
    /// entry and exit (released while adding).
    void drain(std::unique_lock<std::mutex>& lock) {
        while (!aborted_ && !waiting_.empty() && waiting_.begin()->first == next_) {
            GroupResult<M> ready = std::move(waiting_.begin()->second);
            waiting_.erase(waiting_.begin());
            lock.unlock();
            try {
                add(ready);
            } catch (...) {
                lock.lock();
                draining_ = false;
                throw; // the caller aborts the round
            }
            lock.lock();
            if (ready.partial) {
                returned_[ready.thread].push_back(std::move(*ready.partial));
            }
            ++next_;
            room_.notify_all();
        }
    }

    void add(GroupResult<M>& result) {
        bool any = false;
        for (ClientOutcome& outcome : result.clients) {
            if (!outcome.failure.empty()) {
                failures.push_back({outcome.client, std::move(outcome.failure), outcome.refused});
                continue;
            }
            const std::size_t n = sizes_[outcome.client];
            ++aggregated;
            examples += n;
            weighted_loss += outcome.loss * double(n);
            any = true;
        }
        if (!any) {
            return;
        }
        for (auto& indicator : result.indicators) {
            indicators.push_back(std::move(indicator));
        }
        if (sum_ != nullptr) {
            merge(*sum_, *result.partial);
        } else {
            for (auto& update : result.updates) {
                kept.push_back(std::move(update));
            }
        }
    }

    Worker<federated::Aggregator>& aggregator_;
    SumPointer* sum_;
    const M& reference_;
    std::span<const std::size_t> sizes_;
    std::size_t capacity_;
    std::mutex mutex_;
    std::condition_variable room_;
    std::map<std::size_t, GroupResult<M>> waiting_;
    std::vector<std::vector<SumPointer>> returned_; // by the thread that filled them
    std::size_t next_ = 0;
    bool draining_ = false;
    bool aborted_ = false;
};

/// The round's sum starts empty: whatever an earlier round left in it (the
/// last round's sum, or part of one that threw) is not this round's. An
/// aggregator that restarted since no longer holds it (and says so): a new
/// one. An aggregator that cannot be reached: NetworkError.
template <class M>
void restart_sum(Pointer<WeightedSum<M>, federated::Aggregator>& sum, const M& reference,
                 Worker<federated::Aggregator>& aggregator) {
    try {
        reset(sum);
        return;
    } catch (const RemoteObjectError&) {
    } catch (const PermissionDeniedError&) {
    }
    sum = send(WeightedSum<M>(reference), aggregator);
}

/// Runs `train_group(members, thread)` for each group of `selected` on
/// `threads` threads of `team`, handing each result to the collector.
template <class M, class TrainGroup>
void train_groups(ThreadTeam& team, std::size_t threads, const std::vector<std::size_t>& selected,
                  RoundCollector<M>& collector, TrainGroup train_group) {
    const std::size_t group = group_size(selected.size());
    const std::size_t groups = group_count(selected.size());
    std::atomic<std::size_t> next{0};
    team.run(threads, [&](std::size_t thread) {
        try {
            for (std::size_t g = next.fetch_add(1); g < groups && !collector.aborted(); g = next.fetch_add(1)) {
                const std::size_t first = g * group;
                const std::size_t last = std::min(first + group, selected.size());
                const auto members = std::span(selected).subspan(first, last - first);
                collector.complete(g, thread, train_group(members, thread));
            }
        } catch (...) {
            // Client failures are results, not exceptions; this is the
            // aggregator failing (out of memory, say). The threads waiting
            // for this group's turn must not wait forever: the round is
            // abandoned, and run() rethrows the error.
            collector.abort();
            collector.release(thread);
            throw;
        }
        collector.release(thread);
    });
}

} // namespace fedpp::detail
