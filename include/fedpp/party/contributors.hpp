// fedpp: who an aggregating party's contributors are. A value a data owner
// moves to an aggregator is its contribution, marked with a number the
// party gives the data owner's certificate name when it first sends one, so
// that a data owner counts once whatever its sessions; secure aggregation's
// server asks the name back (ContributorNames) to take each participant's
// messages from that participant only.
#pragma once

#include "fedpp/party/policy.hpp"
#include "fedpp/transport/computation.hpp"

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp::party {

/// The contributors by certificate name: ids in order of first arrival.
class Contributors final : public ContributorNames {
public:
    /// The contributor a value from party `name` is at a party of `policy`:
    /// by its certificate's name, so that a data owner counts once whatever
    /// its sessions; none at a data owner, or for a name outside
    /// policy.contributors (when it lists any).
    ContributorId of(const Policy& policy, std::string_view name) {
        if (policy.role == Role::data_owner ||
            (!policy.contributors.empty() && policy.contributors.count(std::string(name)) == 0)) {
            return no_contributor;
        }
        return id_of(std::string(name));
    }
    ContributorId id_of(const std::string& name) {
        const std::lock_guard lock(mutex_);
        const auto [it, added] = ids_.emplace(name, static_cast<ContributorId>(names_.size()));
        if (added) {
            names_.push_back(name);
        }
        return it->second;
    }
    [[nodiscard]] std::string name_of(ContributorId contributor) const override {
        const std::lock_guard lock(mutex_);
        return contributor < names_.size() ? names_[contributor] : std::string();
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, ContributorId> ids_;
    std::vector<std::string> names_;
};

} // namespace fedpp::party
