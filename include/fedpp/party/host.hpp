// fedpp: Host, a party's objects and the rules it enforces on every request.
//
// A worker process serves other processes through a Host: the transport
// (fedpp::grpc's server) authenticates the peer (its certificate's name) and
// hands the request here, which checks it against the party's Policy, carries
// it out on the party's ObjectStore, and records what crossed. A refusal is a
// PermissionDeniedError and a line in the party's log.
//
// Every party: requests only from its requesters; a peer touches only
// objects it created or was given (or data published here); only
// computations compiled into this program run, by name, on objects of the
// types they take; no value over the size limit; one request of a requester
// at a time. What may enter and leave each role, and where to:
// crossing_rules.hpp; a data owner's budgets of values made from its data
// that it lets out: release_budget.hpp; each setting: policy.hpp.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/party/computation_inputs.hpp"
#include "fedpp/party/contributors.hpp"
#include "fedpp/party/ledger.hpp"
#include "fedpp/party/object_quota.hpp"
#include "fedpp/party/policy.hpp"
#include "fedpp/party/refusals.hpp"
#include "fedpp/party/release_budget.hpp"
#include "fedpp/party/requester.hpp"
#include "fedpp/party/requester_locks.hpp"
#include "fedpp/party/crossing_rules.hpp"
#include "fedpp/party/traffic.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/object_shard.hpp"
#include "fedpp/transport/object_store.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/value_type.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp::party {

class Host {
public:
    using Log = Refusals::Log;

    /// `first_serial`: where its object ids start (random by default, so that
    /// ids held from before the party restarted name nothing; fixed for
    /// reproducible tests and fuzzing).
    explicit Host(Policy policy, Log log = Refusals::standard_error(),
                  ObjectId first_serial = fedpp::detail::random_first_serial())
        : policy_((check_role_settings(policy), std::move(policy))), refusals_(policy_.name, std::move(log)),
          store_(policy_.name, aggregates(), aggregates() ? 8 : 1, first_serial) {
        if (aggregates()) {
            store_.set_rules({policy_.min_contributions, policy_.min_weight_ratio,
                              policy_.private_noise ? fedpp::detail::random_noise_secret() : 0,
                              policy_.dp_max_clip_norm, policy_.dp_min_noise_multiplier});
        } else if (policy_.private_noise) { // its shares of distributed DP's noise (secagg::MaskNoise)
            store_.set_rules({0, 0, fedpp::detail::random_noise_secret(), 0, 0, policy_.mask_max_clip_norm,
                              policy_.mask_min_noise_multiplier, policy_.mask_min_own_noise_multiplier});
        }
    }

    [[nodiscard]] const Policy& policy() const noexcept { return policy_; }
    [[nodiscard]] const Traffic& traffic() const noexcept { return traffic_; }
    /// How many values this data owner moved out (Policy::max_released_updates).
    [[nodiscard]] std::uint64_t released_updates() const noexcept { return released_.updates.used(); }
    /// How many scalars made from its data it let out (Policy::max_released_scalars).
    [[nodiscard]] std::uint64_t released_scalars() const noexcept { return released_.scalars.used(); }
    /// This party's traffic account, for `peer`, who must be one of its requesters.
    const Traffic& traffic_for(const std::string& peer) {
        admit(peer, "traffic");
        return traffic_;
    }

    /// This party's own data, under `tag`: requesters may use it in
    /// computations (find()), never read it, move it or delete it.
    template <Serializable T>
    void publish(const std::string& tag, const T& value) {
        const Bytes bytes = to_bytes(value);
        ledger_.publish(tag, store_.publish(tag, detail::value_type<T>(), bytes));
    }

    /// A value of type `type_name` sent by `peer` (for itself, or, moved
    /// here by a data owner, on behalf of `on_behalf_of`).
    ObjectId store(const std::string& peer, std::string_view type_name, std::span<const std::byte> bytes,
                   const std::string& on_behalf_of = {}) {
        const auto what = [&] { return sent_by(peer); };
        ByteReader in(bytes, what);
        return store(peer, type_name, in, on_behalf_of, [](ObjectId) {});
    }

    /// The same, read from `in` to its end: a transport decodes a value from
    /// its stream's chunks once this party has vetted its announced size,
    /// type and sender (name `in` with sent_by(peer)). `accept(id)` runs once
    /// the value is object `id` here, before it is its owner's (no request
    /// reaches it yet): it throws to refuse it (the object is deleted).
    ObjectId store(const std::string& peer, std::string_view type_name, ByteReader& in,
                   const std::string& on_behalf_of, fedpp::detail::FunctionRef<void(ObjectId)> accept) {
        const std::size_t size = in.remaining();
        admit_value(peer, size);
        const ValueType& type = detail::ValueTypeRegistry::instance().at(type_name, policy_.name);
        const bool given = !on_behalf_of.empty() && name_of(on_behalf_of) != name_of(peer);
        if (const char* rule = fedpp::detail::store_rule_of(policy_, name_of(peer), type.name, given)) {
            deny(peer, "a '" + type.name + "' (" + rule + ")");
        }
        const ContributorId contributor = given ? contributors_.of(policy_, name_of(peer)) : no_contributor;
        const std::string& owner = given ? on_behalf_of : peer;
        Ledger::Reservation reserved = quota_.reserve(peer, owner, size); // (before a byte is decoded)
        traffic_.open("in", name_of(peer), type.name); // (counted at the end: add allocates nothing)
        ObjectId id = 0;
        try {
            id = store_.store(type, in, contributor);
        } catch (const PermissionDeniedError& e) { // a value its type refuses (ValueType::holds_contributions)
            deny(peer, e.what());
        }
        accept_new(id, accept); // (refused: its room goes back with `reserved`)
        quota_.keep(reserved, peer, owner, id, size);
        traffic_.add("in", name_of(peer), type.name, size);
        return id;
    }

    /// How a value `peer` sent is named in error messages.
    static std::string sent_by(const std::string& peer) { return "value sent by '" + peer + "'"; }

    /// Refuses (and logs) a value of `size` bytes over the size limit: store()
    /// asks first, before a chunked value is read past its first chunk.
    void admit_value(const std::string& peer, std::uint64_t size) {
        admit(peer, "store");
        if (size > policy_.max_value_bytes) {
            deny(peer, "a value of " + std::to_string(size) + " bytes (the limit is " +
                           std::to_string(policy_.max_value_bytes) + ")");
        }
    }

    /// The value of object `id` (only what may leave), kept until the requester erases it: an
    /// answer lost on the way can be asked again, spending no budget again (ReleaseBudgets::take_for).
    Bytes fetch(const std::string& peer, ObjectId id, std::string_view type_name) {
        const auto serial = requests_.lock(peer);
        const ObjectStore::Description held = own(peer, id, type_name, "fetch");
        if (!fedpp::detail::releasable_by(policy_, held)) {
            deny(peer, "reading a '" + held.type->name + "' (" + fedpp::detail::release_rule_of(policy_) + ")");
        }
        const bool derived = ledger_.derived(id); // (read first: if erased since, encode finds nothing)
        Bytes bytes = store_.encode(id, held.type);
        if (const char* rule = released_.take_for(id, fedpp::detail::release_kind(policy_, held, derived))) {
            deny(peer, "reading a '" + held.type->name + "' (" + rule + ")");
        }
        traffic_.record("out", name_of(peer), held.type->name, bytes.size());
        return bytes;
    }

    void erase(const std::string& peer, ObjectId id) { // (a computation using it keeps it until it ends)
        admit(peer, "erase");
        if (ledger_.is_published(id)) {
            return; // a Pointer from find() erases it when it goes: published data stays
        }
        if (!ledger_.owns(peer, id)) { // whether it exists or not: nothing to learn from
            deny(peer, "erase of object " + std::to_string(id) + ", which is not the requester's");
        }
        erase_object(id);
    }

    /// A second object with the value of object `id`, settled by `settlement`.
    ObjectId copy(const std::string& peer, ObjectId id, std::string_view type_name,
                  const Settlement& settlement = {}) {
        const auto serial = requests_.lock(peer);
        settlement.start();
        const ObjectStore::Description held = own(peer, id, type_name, "copy");
        if (const char* rule = fedpp::detail::copy_rule_of(held)) {
            deny(peer, std::string("copying ") + rule);
        }
        const bool derived = ledger_.derived(id); // (read first: if erased since, the copy finds nothing)
        const std::uint64_t size = store_.encoded_size(id);
        Ledger::Reservation reserved = quota_.reserve(peer, peer, size);
        const Reply reply = store_.handle(Request::copy(0, id, *held.type), [] { return std::string(); });
        quota_.keep(reserved, peer, peer, reply.object, size);
        accept_new(reply.object, settlement.accept, derived);
        return reply.object;
    }

    /// The bytes of object `id`, which may move to `destination`; the
    /// transport stores them there, then calls finish_forward (the traffic
    /// is counted once they have arrived: a made-up destination adds
    /// nothing), or cancel_forward if they did not arrive.
    Bytes prepare_forward(const std::string& peer, ObjectId id, std::string_view type_name,
                          const std::string& destination) {
        const auto serial = requests_.lock(peer);
        const ObjectStore::Description held = own(peer, id, type_name, "forward");
        if (const char* rule = fedpp::detail::forward_rule_of(policy_, held, destination)) {
            deny(peer, "moving a '" + held.type->name + "' to '" + cut(destination, 100) + "' (" + rule + ")");
        }
        const bool derived = ledger_.derived(id); // (read first: if erased since, encode finds nothing)
        Bytes bytes = store_.encode(id, held.type); // (a value that never leaves throws here, spending nothing)
        if (const char* rule = released_.take(fedpp::detail::release_kind(policy_, held, derived))) {
            deny(peer, "moving a '" + held.type->name + "' out (" + rule + ")");
        }
        ledger_.remove(id); // moving: no other request of the requester finds it (two forwards would copy it)
        return bytes;
    }

    /// The forward of object `id` did not arrive: it is its owner's again,
    /// counted as before (it counted while it moved).
    void cancel_forward(ObjectId id) { ledger_.restore(id); }

    void finish_forward(ObjectId id, const std::string& destination, std::size_t bytes) {
        const ValueType* type = store_.describe(id).type; // (registered: it outlives the object)
        erase_object(id); // (first: nothing after it leaves the object counted here)
        (void)traffic_.try_record("out", destination, type->name, bytes); // (a made-up destination adds no line)
    }

    /// Runs the computation named `name` (compiled into this program) on the objects `inputs` (the
    /// requester's, or published here), settled by `settlement` (its result: 0 if none).
    ObjectId execute(const std::string& peer, std::string_view name, std::span<const NamedObject> inputs,
                     const Bytes& arguments, const Settlement& settlement = {}) {
        const auto serial = requests_.lock(peer);
        settlement.start();
        admit(peer, "execute");
        const Computation* computation = detail::ComputationRegistry::instance().find(name);
        if (computation == nullptr) {
            deny(peer, "running '" + cut(name, 100) + "', a computation this party's program does not have");
        }
        const std::vector<ObjectRef> refs =
            usable_inputs(policy_.name, refusals_, ledger_, store_, peer, *computation, inputs);
        Ledger::Reservation reserved = quota_.reserve(peer, peer, 0); // (the result's size is known once it ran)
        const bool from_data = on_data(policy_, refusals_, ledger_, released_, peer, name, refs);
        Reply reply;
        std::uint64_t size = 0;
        run_computation(policy_, refusals_, peer, name, [&] {
            reply = store_.handle(Request::execute(0, *computation, refs, arguments), [] { return std::string(); },
                                  no_contributor, {&contributors_, policy_.allow_seeded_secrets, policy_.max_value_bytes});
            size = reply.object != 0 ? quota_.measure(reply.object) : 0;
        });
        if (reply.object != 0) { // (before the inputs are spent: a result that does not fit spends nothing)
            quota_.keep(reserved, peer, peer, reply.object, size);
        }
        if (computation->spends_contributions) {
            ledger_.spend(refs); // (only a contribution's mark is ever read)
        }
        accept_new(reply.object, settlement.accept, from_data); // (what it spent stays spent: it ran)
        return reply.object;
    }

    /// The object published under `tag`, for use in computations.
    ObjectId find(const std::string& peer, const std::string& tag, std::string_view type_name) {
        admit(peer, "find");
        const auto id = ledger_.published(tag);
        if (!id || store_.describe(*id).type->name != type_name) {
            throw RemoteObjectError("'" + policy_.name + "' publishes no '" + std::string(type_name) + "' under '" +
                                    tag + "'");
        }
        return *id;
    }

    /// How many objects `peer` holds here, and which.
    std::vector<ObjectInfo> list(const std::string& peer) {
        admit(peer, "list");
        std::vector<ObjectInfo> objects;
        for (const ObjectId id : ledger_.owned_by(peer)) {
            objects.push_back({id, store_.describe(id).type->name});
        }
        return objects;
    }

    /// Deletes the objects of requesters silent for longer than the lease;
    /// returns how many.
    std::size_t reclaim() {
        const auto expired = ledger_.expire(policy_.lease);
        for (const ObjectId id : expired) {
            erase_object(id);
        }
        return expired.size();
    }

    /// Every object here, the published ones included.
    [[nodiscard]] std::size_t object_count() {
        return store_.handle(Request::count(0), [] { return std::string(); }).count;
    }

    /// What counts against the peer `maker` for `owner` (Ledger::made_by).
    [[nodiscard]] ObjectUsage usage(std::string_view maker, const std::string& owner) const {
        return ledger_.made_by(maker, owner);
    }

    /// PermissionDeniedError, and a line in the log (the transport's own refusals too).
    [[noreturn]] void deny(const std::string& peer, const std::string& what) const { refusals_.deny(peer, what); }

    /// Refuses (logged) a peer not among this party's requesters; renews its lease.
    void admit(const std::string& peer, const char* operation) {
        if (!policy_.requesters.empty() && policy_.requesters.count(std::string(name_of(peer))) == 0) {
            deny(peer, std::string(operation) + ": not one of this party's requesters");
        }
        ledger_.heard_from(peer);
    }

private:
    /// The object `id`, which `peer` must own and which must hold a `type_name`.
    ObjectStore::Description own(const std::string& peer, ObjectId id, std::string_view type_name, const char* op) {
        admit(peer, op);
        if (!ledger_.owns(peer, id)) {
            deny(peer, std::string(op) + " of object " + std::to_string(id) + ", which is not the requester's");
        }
        const ObjectStore::Description held = store_.describe(id);
        if (held.type->name != type_name) {
            throw RemoteObjectError("object " + std::to_string(id) + " at '" + policy_.name + "' holds a '" +
                                    held.type->name + "', not a '" + std::string(type_name) + "'");
        }
        return held;
    }

    [[nodiscard]] bool aggregates() const noexcept { return policy_.role != Role::data_owner; }

    /// Marks the new object `id` (0: none) derived from data if `derived`, then
    /// `accept(id)`: if either throws, the object is deleted (its owner holds no
    /// id of it, and nothing unmarked stays).
    void accept_new(ObjectId id, fedpp::detail::FunctionRef<void(ObjectId)> accept, bool derived = false) {
        try {
            if (derived && id != 0) {
                ledger_.mark_derived({}, id);
            }
            accept(id);
        } catch (...) {
            erase_object(id); // (none: nothing to erase)
            throw;
        }
    }

    void erase_object(ObjectId id) {
        store_.erase(id); // then its marks: a request that finds it unmarked cannot find it
        ledger_.forget(id);
        released_.forget(id);
    }

    Policy policy_;
    Refusals refusals_;
    RequesterLocks requests_;
    ObjectStore store_;
    Ledger ledger_;
    ObjectQuota quota_{policy_, refusals_, ledger_, store_};
    Traffic traffic_;
    Contributors contributors_; // by certificate name
    ReleaseBudgets released_{policy_};
};

} // namespace fedpp::party
