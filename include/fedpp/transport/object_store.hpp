// fedpp: ObjectStore, the values one worker holds.
//
// A store decodes what it is sent into objects of its own (no two parties
// share memory), hands out ids, and serves every request to its worker but
// the forwards, which need two stores and are the transport's to carry out.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/invocation_inputs.hpp"
#include "fedpp/transport/object_shard.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/value_type.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp {

/// The objects held by one worker. Thread-safe. A trusted aggregator
/// receives every client's update from every training thread at once, so
/// its store is split into shards, each a lock and a vector of its objects
/// sorted by id: a thread stores into the shard its thread number picks (an
/// object's id says which), so threads rarely wait for one another. A data
/// owner's store (one of a million, perhaps) has one shard, inside it: 184
/// bytes and one allocation before its objects.
class ObjectStore {
public:
    /// The store of worker `name`; a trusted worker's (an aggregator's) is
    /// split into shards, for the many threads that send to it at once. Its
    /// objects are numbered from `first_serial` on (1 to 2^40; a party
    /// starts at a random one, so that ids held from before it restarted do
    /// not name its new objects).
    ObjectStore(std::string name, bool trusted, std::size_t shard_count = 1, ObjectId first_serial = 1)
        : name_(std::move(name)), trusted_(trusted), shard_count_(std::max<std::size_t>(shard_count, 1)),
          more_shards_(shard_count_ > 1 ? std::make_unique<detail::SeparateObjectShard[]>(shard_count_ - 1)
                                        : nullptr) {
        const ObjectId first = std::clamp<ObjectId>(first_serial, 1, max_first_serial);
        for (std::size_t i = 0; i < shard_count_; ++i) {
            shard(i).next_serial = first;
        }
    }

    /// The largest first serial number: ids stay far below published data's.
    static constexpr ObjectId max_first_serial = ObjectId{1} << 40;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }

    [[nodiscard]] bool trusted() const noexcept { return trusted_; }

    /// A worker's own policy, in what its computations make (Invocation),
    /// whatever a caller asks: see WorkerRules. ArgumentError unless
    /// rules.min_weight_ratio is in [0, 1], and the DP bounds are finite,
    /// >= 0, with a clip norm for a noise multiplier.
    void set_rules(const WorkerRules& rules) {
        const auto fail = [&](const std::string& what) { throw ArgumentError("worker '" + name_ + "': " + what); };
        if (!(rules.min_weight_ratio >= 0 && rules.min_weight_ratio <= 1)) {
            fail("min_weight_ratio must be in [0, 1], got " + std::to_string(rules.min_weight_ratio));
        }
        for (const double bound : {rules.dp_max_clip_norm, rules.dp_min_noise_multiplier, rules.mask_max_clip_norm,
                                   rules.mask_min_noise_multiplier, rules.mask_min_own_noise_multiplier}) {
            if (!(bound >= 0 && std::isfinite(bound))) {
                fail("the DP bounds must be finite and >= 0, got " + std::to_string(bound));
            }
        }
        if (rules.dp_only() && !(rules.dp_max_clip_norm > 0)) {
            fail("dp_min_noise_multiplier needs a dp_max_clip_norm > 0 (the noise is relative to it)");
        }
        if (rules.mask_floor() && !(rules.mask_max_clip_norm > 0)) {
            fail("mask_min_noise_multiplier needs a mask_max_clip_norm > 0 (the noise is relative to it)");
        }
        if (rules.mask_min_own_noise_multiplier > 0 && !rules.mask_floor()) {
            fail("mask_min_own_noise_multiplier needs mask_min_noise_multiplier (a floor)");
        }
        rules_ = std::make_unique<const WorkerRules>(rules);
    }

    /// Serves `request` (any operation but forward; a computation in
    /// `context`). `sender` names who sent a stored value, for the message if
    /// it does not decode; `contributor`: the data owner it comes from.
    Reply handle(const Request& request, detail::LazyText sender, ContributorId contributor = no_contributor,
                 const ExecutionContext& context = {});

    /// The encoding of object `id`, which must hold an `expected` (if given):
    /// what a transport forwarding it sends on.
    [[nodiscard]] Bytes encode(ObjectId id, const ValueType* expected) {
        const Held held = find(id, expected); // held while it is encoded
        return held.object->type().encode(*held.object);
    }

    /// encode(id, nullptr).size(), measured without writing.
    [[nodiscard]] std::size_t encoded_size(ObjectId id) {
        const Held held = find(id, nullptr);
        return held.object->type().encoded_size(*held.object);
    }

    /// Object `id`, which must hold an `expected`, for a forward_into:
    /// taken out of the store when nothing else holds it now (`taken`),
    /// else only held (erase it once it crossed).
    /// RemoteObjectError if it is not here, or is published data, which
    /// stays where it is.
    detail::HeldObject hand_over(ObjectId id, const ValueType& expected, bool& taken);

    /// A forward_into's computation here: its inputs here are found and
    /// checked, and only then does `forwarded()` bring the last one, from
    /// another store of this process. Errors until then mean nothing
    /// crossed; the computation's own failure is reply.refused.
    /// RemoteObjectError unless require_forward_target(request).
    Reply execute_forwarded(const Request& request, detail::FunctionRef<detail::HeldObject()> forwarded,
                            const ExecutionContext& context);

    /// RemoteObjectError unless this worker is open and trusted and the
    /// computation one of fedpp's aggregations that takes forwarded values
    /// (detail::forward_target_of): checked before the value leaves.
    void require_forward_target(const Request& request) const;

    /// Stores a value decoded from `bytes` as `type`, contributed by
    /// `contributor`; returns its id.
    ObjectId store(const ValueType& type, std::span<const std::byte> bytes, detail::LazyText what,
                   ContributorId contributor = no_contributor) {
        return insert(detail::decode_value(type, bytes, what), contributor);
    }

    /// The same, read to its end from `in` (chunks decoded as they arrive).
    ObjectId store(const ValueType& type, ByteReader& in, ContributorId contributor = no_contributor) {
        return insert(type.decode(in), contributor);
    }

    /// Deletes object `id`, if it is here (also after close()); published data stays.
    void erase(ObjectId id);

    /// This worker's own data, published under `tag`: requests may use it in
    /// computations (find it by its tag), never delete it. Its id depends on
    /// the tag alone, so that it is the same after the worker restarts.
    /// Published again, the tag's data is replaced (computations already
    /// running on the old data finish with it).
    ObjectId publish(std::string_view tag, const ValueType& type, std::span<const std::byte> bytes);

    /// The object published under `tag`, which must hold a `type`.
    ObjectId published(std::string_view tag, const ValueType& type);

    /// What object `id` holds and who contributed it (RemoteObjectError if
    /// there is none).
    struct Description {
        const ValueType* type;
        ContributorId contributor;
    };
    [[nodiscard]] Description describe(ObjectId id) {
        const Held held = find(id, nullptr);
        return {&held.object->type(), held.contributor};
    }

    /// The worker left: every later request but erase fails with
    /// RemoteObjectError. The objects stay until their pointers delete them
    /// (erase still works) or the transport goes: a request that was
    /// already running when the worker left may still be using them.
    void close() noexcept { closed_.store(true, std::memory_order_release); }

private:
    using Held = detail::HeldObject;
    using Shard = detail::ObjectShard;

    /// The shard this thread stores into.
    std::size_t shard_of_this_thread() const noexcept {
        static std::atomic<std::size_t> next{0};
        thread_local const std::size_t thread_number = next.fetch_add(1, std::memory_order_relaxed);
        return thread_number % shard_count_;
    }

    Shard& shard(std::size_t index) noexcept { return index == 0 ? first_shard_ : more_shards_[index - 1]; }
    Shard& shard_of(ObjectId id) noexcept { return shard(id % shard_count_); }

    void require_open() const {
        if (closed_.load(std::memory_order_acquire)) {
            throw RemoteObjectError("worker '" + name_ +
                                    "' no longer exists (was its Worker object destroyed before its pointers?)");
        }
    }

    ObjectId insert(std::unique_ptr<detail::RemoteObject> object, ContributorId contributor);
    Held find(ObjectId id, const ValueType* expected);
    /// find() for a caller that holds `holder`'s lock (`holder`: id's shard).
    Held find_locked(Shard& holder, ObjectId id, const ValueType* expected);
    Reply execute(const Request& request, const ExecutionContext& context);
    /// Runs `request`'s computation on `inputs`, storing its result (if any) here.
    Reply run_computation(const Request& request, detail::InvocationInputs& inputs, const ExecutionContext& context);
    std::size_t count();
    std::vector<ObjectInfo> list();

    using Tags = std::vector<std::pair<std::string, ObjectId>>;
    /// The entry of `tag` in published_ (under the first shard's lock).
    Tags::iterator find_tag(std::string_view tag) {
        return std::find_if(published_.begin(), published_.end(),
                            [&](const auto& entry) { return entry.first == tag; });
    }

    [[nodiscard]] bool is_published(ObjectId id) {
        if (!any_published_.load(std::memory_order_acquire)) {
            return false; // the usual case, without a lock
        }
        const std::lock_guard lock(first_shard_.mutex);
        for (const auto& [tag, published] : published_) {
            if (published == id) {
                return true;
            }
        }
        return false;
    }

    std::string name_;
    bool trusted_;
    std::unique_ptr<const WorkerRules> rules_; // set_rules (an aggregator's; a data owner's secret, floor); none: {}
    Tags published_; // a worker publishes a handful; guarded by the first shard's lock
    std::atomic<bool> any_published_{false};
    std::size_t shard_count_;
    Shard first_shard_;
    std::unique_ptr<detail::SeparateObjectShard[]> more_shards_; // a trusted store's other shards
    std::atomic<bool> closed_{false};
};

} // namespace fedpp

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/transport/object_store-inl.hpp"
#include "fedpp/transport/object_store_forwarding-inl.hpp" // (its forward_into members)
#endif
