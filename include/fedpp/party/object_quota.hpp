// fedpp: a party's quota of objects and bytes per peer (Host): what one
// peer's requests may keep here, by its certificate name, for itself and for
// each requester it gives values to (Ledger::for_whom;
// Policy::max_objects_per_requester and max_bytes_per_requester).
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

/// Refuses (PermissionDeniedError, logged by `refusals`) a new object of
/// `owner`'s, of `bytes` bytes, made at `peer`'s request if it would not fit
/// in the quota of what counts against that pair (Ledger::for_whom),
/// deleting `id` from `store` if it was made; with `id`, records it so in
/// `ledger`. Without `id` (before the work), it asks whether an object of
/// `bytes` would fit: a computation, whose result's size is known only once
/// it ran (`bytes` 0), is refused before it runs at the object quota, or
/// once the bytes that count reach the quota, and keeps its effects if only
/// its result is refused.
inline void check_object_quota(const Policy& policy, const Refusals& refusals, Ledger& ledger, ObjectStore& store,
                               const std::string& peer, const std::string& owner, std::uint64_t bytes,
                               ObjectId id = 0) {
    const ObjectUsage quota = quota_of(policy);
    const std::string_view maker = name_of(peer);
    ObjectUsage usage;
    if (id != 0) {
        const Ledger::Added added = ledger.add_within(id, owner, maker, quota, bytes);
        if (added.added) {
            return;
        }
        usage = added.before;
        store.erase(id);
    } else {
        usage = ledger.made_by(maker, owner);
        if (Ledger::fits(usage, quota, bytes)) {
            return;
        }
    }
    const std::string whom = ledger.for_whom(maker, owner);
    const std::string of_whom = whom == maker ? ""
                                : whom.empty()  ? " for requesters not heard from"
                                                : " for '" + whom + "'";
    const std::string made = "'" + std::string(maker) + "' has made ";
    const std::string until = ": no more until some are erased";
    if (quota.objects != 0 && usage.objects >= quota.objects) {
        refusals.deny(peer, made + std::to_string(usage.objects) + " objects here" + of_whom +
                                ", its quota (max_objects_per_requester)" + until);
    }
    const std::string held = made + "objects of " + std::to_string(usage.bytes) + " bytes here" + of_whom;
    const std::string limit = std::to_string(quota.bytes) + " bytes (max_bytes_per_requester)";
    if (bytes == 0) { // (a computation, before it runs)
        refusals.deny(peer, held + ", its quota of " + limit + until);
    }
    refusals.deny(peer, held + ": one of " + std::to_string(bytes) + " more would pass its quota of " + limit + until);
}

} // namespace fedpp::party
