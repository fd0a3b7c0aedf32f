// fedpp: which objects a requester may give a computation at a party
// (Host::execute): its own or data published there, each of the type the
// request names and the computation takes, and a data owner's contribution
// only to an aggregation (crossing_rules.hpp); and whether a computation
// works on a data owner's data (its budget of released updates); and what
// of a computation's failure its requester is told.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"
#include "fedpp/party/crossing_rules.hpp"
#include "fedpp/party/ledger.hpp"
#include "fedpp/party/policy.hpp"
#include "fedpp/party/refusals.hpp"
#include "fedpp/party/release_budget.hpp"
#include "fedpp/party/requester.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/object_store.hpp"

#include <span>
#include <string>
#include <string_view>
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

/// Whether `peer`'s computation `name` on `refs` works on the data owner's
/// data (by `policy`: its inputs and result are then marked as made from
/// it, in `ledger`). Once the budget of released updates is spent (in
/// `released`), none is run on its data or on what was made from it
/// (PermissionDeniedError, logged by `refusals`), but for a secure
/// session's own steps, which may finish their protocol.
inline bool on_data(const Policy& policy, const Refusals& refusals, Ledger& ledger, const ReleaseBudgets& released,
                    const std::string& peer, std::string_view name, std::span<const ObjectRef> refs) {
    bool from_data = false;
    bool beyond_sessions = false;
    for (const ObjectRef& ref : refs) {
        if (policy.role == Role::data_owner && ledger.is_data(ref.id)) {
            from_data = true;
            beyond_sessions = beyond_sessions || !fedpp::detail::is_secure_session_state(ref.type->name);
        }
    }
    if (from_data && beyond_sessions && released.updates.spent()) {
        refusals.deny(peer, "running '" + cut(name, 100) + "' on its data (" + fedpp::detail::release_budget_rule + ")");
    }
    if (from_data) {
        ledger.mark_derived(refs);
    }
    return from_data;
}

/// Runs `peer`'s computation `name` (`run`). An aggregate refused for too
/// few contributions, or the computation's own refusal (of a session's
/// settings, say), is logged by `refusals` and thrown; any other error is
/// the computation's own (its inputs were checked), thrown as it is if
/// `policy` reveals errors, else as a ComputationError withholding it.
inline void run_computation(const Policy& policy, const Refusals& refusals, const std::string& peer,
                            std::string_view name, fedpp::detail::FunctionRef<void()> run) {
    try {
        run();
    } catch (const InsufficientContributionsError& e) {
        refusals.log(peer, std::string("an aggregate: ") + e.what());
        throw;
    } catch (const PermissionDeniedError& e) {
        refusals.log(peer, "running '" + cut(name, 100) + "': " + e.what());
        throw;
    } catch (const Error&) {
        if (policy.reveal_errors) {
            throw;
        }
        throw ComputationError("a computation at '" + policy.name + "' failed (its message is withheld by its policy)");
    }
}

} // namespace fedpp::party
