// fedpp: what may enter a party and what may leave it, and where to
// (Host::store, Host::fetch, Host::prepare_forward), and what may be used
// or copied there (Host::execute, Host::copy). Out of a data owner:
// public scalars to anyone, its models only to its trusted aggregators, its
// masked updates and secure aggregation's messages only to its sum-only
// aggregators; out of an aggregator: scalars and aggregates made there
// (never a contribution); out of a sum-only aggregator also the protocol's
// messages it made. Secure aggregation's values enter a data owner only
// from its sum-only aggregators, and a sum-only aggregator only from data
// owners, which send it nothing else.
#pragma once

#include "fedpp/party/policy.hpp"
#include "fedpp/party/release_budget.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/object_store.hpp"

#include <functional>
#include <set>
#include <string>
#include <string_view>

namespace fedpp::detail {

/// Whether a value type is one of secure aggregation's (a masked update or a
/// protocol message), by the Codec names located/masked.hpp gives them (the
/// hostile tests move both kinds, so a renamed one fails them).
inline bool is_secure_aggregation_type_name(std::string_view name) {
    return name == "fedpp::ProtocolMessage" || name.starts_with("fedpp::Masked<");
}

/// Whether a value type is a data owner's state in a secure aggregation
/// session (which never leaves it), by its Codec name.
inline bool is_secure_session_state(std::string_view name) { return name == "fedpp::secagg::ClientParty"; }

/// Why a value of type `type` from `peer` (`given`: moved there by a data
/// owner) may not be stored at a party of `policy`, or nullptr: so that the
/// model owner can neither relay secure aggregation's messages of its own
/// making through a data owner nor feed them to the server.
inline const char* store_rule_of(const party::Policy& policy, std::string_view peer, std::string_view type,
                                 bool given) {
    const bool secure = is_secure_aggregation_type_name(type);
    if (policy.role == party::Role::data_owner && secure &&
        policy.sum_only_aggregators.count(std::string(peer)) == 0) {
        return "secure aggregation's values come to a data owner only from its sum-only aggregators";
    }
    if (policy.role == party::Role::sum_only_aggregator && secure != given) {
        return given ? "a sum-only aggregator takes from data owners only masked updates and secure "
                       "aggregation's messages"
                     : "secure aggregation's values come to a sum-only aggregator only from data owners";
    }
    return nullptr;
}

/// Why `held` may not be an input of `computation` (`spent`: it went into
/// an aggregate already), or nullptr if it may: only aggregations take a
/// data owner's contribution, or a sum of them (whatever else made of one
/// would hold it uncounted), and one that combines contributions takes each
/// once, so that no two aggregates differ by one data owner's model alone.
inline const char* contribution_rule_of(const Computation& computation, const ObjectStore::Description& held,
                                        bool spent) {
    if (held.type->holds_contributions && !computation.aggregation) {
        return "a sum of data owners' contributions: only aggregations may take it";
    }
    if (held.contributor == no_contributor) {
        return nullptr;
    }
    if (!computation.aggregation) {
        return "a data owner's contribution: only aggregations may take it";
    }
    if (spent && computation.spends_contributions) {
        return "a data owner's contribution that went into an aggregate already: each goes into one, or two could "
               "differ by it alone";
    }
    return nullptr;
}

/// Why `held` may not be copied at its party, or nullptr if it may.
inline const char* copy_rule_of(const ObjectStore::Description& held) {
    return held.contributor != no_contributor || held.type->holds_contributions
               ? "a data owner's contribution or a sum of them (a copy would hold them twice)"
               : nullptr;
}

/// Whether values of this type are public scalars (a loss, a count).
inline bool is_public_scalar(std::string_view type_name) {
    static const std::set<std::string, std::less<>> scalars{"bool", "f32", "f64", "i8",  "i16", "i32",
                                                           "i64",  "u8",  "u16", "u32", "u64"};
    return scalars.count(type_name) != 0;
}

/// May this object leave its party (to its requester, or moved on)?
inline bool releasable_by(const party::Policy& policy, const ObjectStore::Description& held) {
    if (is_public_scalar(held.type->name)) {
        return true;
    }
    return policy.role != party::Role::data_owner && held.contributor == no_contributor &&
           held.type->contributions != nullptr; // an aggregate made there
}

inline const char* release_rule_of(const party::Policy& policy) {
    return policy.role == party::Role::data_owner ? "a data owner releases only scalars such as a loss"
                                           : "an aggregator releases only aggregates and scalars";
}

/// Which of a data owner's budgets letting this object out (fetched, or
/// moved on) spends: none for what is not made from its data (`derived`)
/// or at an aggregator, nor for a protocol message of secure aggregation
/// (which carries no update: the masked update goes apart); the scalars'
/// for a public scalar; the updates' for any other value.
inline ReleaseKind release_kind(const party::Policy& policy, const ObjectStore::Description& held, bool derived) {
    if (policy.role != party::Role::data_owner || !derived || held.type->name == "fedpp::ProtocolMessage") {
        return ReleaseKind::none;
    }
    return is_public_scalar(held.type->name) ? ReleaseKind::scalar : ReleaseKind::update;
}

/// Why this object may not move to `destination`, or nullptr if it may.
inline const char* forward_rule_of(const party::Policy& policy, const ObjectStore::Description& held,
                                const std::string& destination) {
    const bool secure = is_secure_aggregation_type_name(held.type->name);
    switch (policy.role) {
    case party::Role::data_owner: // (naming what the destination is to it, for parties set up for different
                                  // aggregations: the trust lists are no secret, a requester learns them from
                                  // what is refused anyway)
        if (secure) {
            if (policy.sum_only_aggregators.count(destination) != 0) {
                return nullptr;
            }
            return policy.trusted_aggregators.count(destination) != 0
                       ? "masked updates and secure aggregation's messages go only to this party's sum-only "
                         "aggregators, and the destination is one of its trusted (plain) aggregators: are the "
                         "parties set up for the same aggregation?"
                       : "masked updates and secure aggregation's messages go only to this party's sum-only "
                         "aggregators";
        }
        if (policy.trusted_aggregators.count(destination) != 0) {
            return nullptr;
        }
        return policy.sum_only_aggregators.count(destination) != 0
                   ? "not one of this party's trusted aggregators: it is one of its sum-only aggregators (secure "
                     "aggregation), which get masked updates only: are the parties set up for the same aggregation?"
                   : "not one of this party's trusted aggregators";
    case party::Role::sum_only_aggregator:
        if (secure && held.contributor == no_contributor && held.type->name == "fedpp::ProtocolMessage") {
            return nullptr; // the server's message to a participant, made here
        }
        break;
    case party::Role::aggregator: break;
    }
    if (releasable_by(policy, held)) {
        return nullptr;
    }
    return policy.role == party::Role::aggregator && secure
               ? "an aggregator releases only aggregates and scalars, and this one is a plain aggregator: secure "
                 "aggregation needs a sum-only aggregator (Role::sum_only_aggregator)"
               : release_rule_of(policy);
}

} // namespace fedpp::detail
