// fedpp: which objects a requester may give a computation at a party
// (Host::execute): its own or data published there, each of the type the
// request names and the computation takes, and a data owner's contribution
// only to an aggregation (crossing_rules.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/party/crossing_rules.hpp"
#include "fedpp/party/ledger.hpp"
#include "fedpp/party/refusals.hpp"
#include "fedpp/party/requester.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/object_store.hpp"

#include <span>
#include <string>
#include <vector>

namespace fedpp::party {

/// The objects `inputs` of `peer`'s request to run `computation` at party
/// `party`: PermissionDeniedError (logged by `refusals`) for another's
/// object or a contribution the computation may not take, and
/// RemoteObjectError, before it runs, for a type it does not take.
inline std::vector<ObjectRef> usable_inputs(const std::string& party, const Refusals& refusals, const Ledger& ledger,
                                            ObjectStore& store, const std::string& peer,
                                            const Computation& computation, std::span<const NamedObject> inputs) {
    std::vector<ObjectRef> refs;
    std::vector<const ValueType*> types;
    for (const NamedObject& input : inputs) {
        if (!ledger.owns(peer, input.id) && !ledger.is_published(input.id)) {
            refusals.deny(peer, "using object " + std::to_string(input.id) + ", which is not the requester's");
        }
        const ObjectStore::Description held = store.describe(input.id);
        const bool spent = held.contributor != no_contributor && ledger.spent(input.id);
        if (const char* rule = fedpp::detail::contribution_rule_of(computation, held, spent)) {
            refusals.deny(peer, "running '" + computation.name + "' on " + rule);
        }
        if (held.type->name != input.type) {
            throw RemoteObjectError("object " + std::to_string(input.id) + " at '" + party + "' holds a '" +
                                    held.type->name + "', not a '" + input.type + "'");
        }
        refs.push_back({input.id, held.type});
        types.push_back(held.type);
    }
    if (!computation.accepts(types)) {
        throw RemoteObjectError("'" + party + "': computation '" + computation.name +
                                "' does not take objects of these types");
    }
    return refs;
}

} // namespace fedpp::party
