// fedpp: a party's quota of objects and bytes per peer (Host): what one
// peer's requests may keep here, and have under way, by its certificate
// name, for itself and for each requester it gives values to
// (Ledger::for_whom; Policy::max_objects_per_requester and
// max_bytes_per_requester).
#pragma once

#include "fedpp/party/ledger.hpp"
#include "fedpp/party/policy.hpp"
#include "fedpp/party/refusals.hpp"
#include "fedpp/party/requester.hpp"
#include "fedpp/transport/object_store.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace fedpp::party {

/// The quota `policy` sets each (maker, for whom) pair.
[[nodiscard]] inline ObjectUsage quota_of(const Policy& policy) noexcept {
    return {policy.max_objects_per_requester, policy.max_bytes_per_requester};
}

/// A party's quota at work on its Ledger: a request that makes an object
/// reserves its room before the work (reserve), so that what a peer's
/// concurrent requests, from all its sessions, count never passes the quota
/// together, values still arriving included, and records the object made
/// in it (keep). (A computation's result counts 0 bytes until it is
/// measured.) Refusals are PermissionDeniedErrors, logged by `refusals`.
class ObjectQuota {
public:
    ObjectQuota(const Policy& policy, const Refusals& refusals, Ledger& ledger, ObjectStore& store) noexcept
        : policy_(policy), refusals_(refusals), ledger_(ledger), store_(store) {}

    /// Room for a new object of `owner`'s of `bytes` bytes made at `peer`'s
    /// request, or a refusal if it would not fit in what counts against that
    /// pair (Ledger::for_whom). A computation, whose result's size is known
    /// only once it ran, reserves 0 bytes: it is refused before it runs at
    /// the object quota or once the bytes that count reach the quota.
    [[nodiscard]] Ledger::Reservation reserve(const std::string& peer, const std::string& owner,
                                              std::uint64_t bytes) const {
        ObjectUsage before;
        Ledger::Reservation reserved = ledger_.reserve_within(owner, name_of(peer), quota_of(policy_), bytes, before);
        if (!reserved) {
            refuse(peer, owner, before, bytes);
        }
        return reserved;
    }

    /// Records object `id` of `owner`'s, of `bytes` bytes, made in the room
    /// `reserved` held; if it does not fit (a computation's result larger
    /// than what is left), deletes it from the store and refuses: the
    /// computation keeps its effects on its inputs.
    void keep(Ledger::Reservation& reserved, const std::string& peer, const std::string& owner, ObjectId id,
              std::uint64_t bytes) const {
        Ledger::Added added;
        try {
            added = ledger_.add_reserved(id, owner, reserved, quota_of(policy_), bytes);
        } catch (...) { // (nothing made stays unrecorded)
            store_.erase(id);
            throw;
        }
        if (!added.added) {
            store_.erase(id);
            refuse(peer, owner, added.before, bytes);
        }
    }

    /// The encoded size of a computation's result `id` (deleted if it cannot
    /// be measured: its Codec refuses to encode it).
    [[nodiscard]] std::uint64_t measure(ObjectId id) const {
        try {
            return store_.encoded_size(id);
        } catch (...) {
            store_.erase(id);
            throw;
        }
    }

private:
    [[noreturn]] void refuse(const std::string& peer, const std::string& owner, ObjectUsage usage,
                             std::uint64_t bytes) const {
        const ObjectUsage quota = quota_of(policy_);
        const std::string_view maker = name_of(peer);
        const std::string whom = ledger_.for_whom(maker, owner);
        const std::string of_whom = whom == maker ? ""
                                    : whom.empty()  ? " for requesters not heard from"
                                                    : " for '" + whom + "'";
        const std::string made = "'" + std::string(maker) + "' has made ";
        const std::string until = ": no more until some are erased";
        if (quota.objects != 0 && usage.objects >= quota.objects) {
            refusals_.deny(peer, made + std::to_string(usage.objects) + " objects here" + of_whom +
                                     ", its quota (max_objects_per_requester)" + until);
        }
        const std::string held = made + "objects of " + std::to_string(usage.bytes) + " bytes here" + of_whom;
        const std::string limit = std::to_string(quota.bytes) + " bytes (max_bytes_per_requester)";
        if (bytes == 0) { // (a computation, before it runs)
            refusals_.deny(peer, held + ", its quota of " + limit + until);
        }
        refusals_.deny(peer,
                       held + ": one of " + std::to_string(bytes) + " more would pass its quota of " + limit + until);
    }

    const Policy& policy_;
    const Refusals& refusals_;
    Ledger& ledger_;
    ObjectStore& store_;
};

} // namespace fedpp::party
