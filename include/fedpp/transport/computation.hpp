// fedpp: computations, the code a worker runs on what it holds.
//
// A Computation takes objects from the worker's store and by-value
// arguments (sent as bytes with the request) and returns at most one new
// object. It carries no state of the caller's: its code is a static
// function, so a computation cannot reach the memory of the program that
// asked for it, and a transport that crosses processes can send its name
// instead of its code. Named computations (fedpp's own, and those made
// with fedpp::computation<"name">) are registered when the program starts,
// so that a worker process can find every computation its program contains
// by name: a worker runs only code it was compiled with.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/transport/value_type.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp {

/// The data owner an object came from, in the store that holds it (a number
/// of that store's choosing), or no_contributor: sent by the model owner,
/// made there by a computation, or moved there from a trusted location.
/// Aggregations count an aggregate's contributions by these.
using ContributorId = std::uint32_t;
inline constexpr ContributorId no_contributor = ~ContributorId{0};

/// Who a store's contributors are, by name: the name of the data owner whose
/// values a store marks with a ContributorId (in one process, its worker's
/// name; at a party, its certificate's name); empty if unknown. Secure
/// aggregation's server takes the messages of the participants it was
/// told the names of, from those names only.
class ContributorNames {
public:
    [[nodiscard]] virtual std::string name_of(ContributorId contributor) const = 0;

protected:
    ~ContributorNames() = default;
};

/// What the transport or party that runs a computation tells it of itself.
struct ExecutionContext {
    /// Who the contributors are, by name (nullptr: not known here).
    const ContributorNames* contributor_names = nullptr;
    /// Whether a caller may fix the secrets a computation draws with a seed
    /// of its own (secure aggregation's reproducible sessions, for tests
    /// and simulations): always in one process, where the caller is the
    /// model owner anyway; at a party, as its policy says.
    bool seeded_secrets_allowed = false;
    /// The largest value, in bytes, a computation may set out to make here
    /// from what its arguments ask (a secure session's vectors, say): at a
    /// party, its policy's max_value_bytes; in one process, no limit.
    std::uint64_t max_value_bytes = std::numeric_limits<std::uint64_t>::max();
};

/// A worker's own policy for what its computations make, whatever a caller
/// asks (ObjectStore::set_rules; a served aggregator's from its
/// party::Policy).
struct WorkerRules {
    /// The least number of data owners an aggregate made here must combine
    /// (0: the caller's location type decides alone).
    std::size_t min_contributions = 0;
    /// A data owner counts toward min_contributions only if its weight is
    /// at least this fraction of the largest weight in the aggregate (0: any
    /// positive weight): a vanishing weight beside one data owner's model
    /// makes no aggregate of two.
    double min_weight_ratio = 0;
    /// A secret of the worker's own that computations drawing noise for
    /// differential privacy mix into the seed the caller gives, so that the
    /// caller cannot recompute the noise (0: none; the caller's seed alone).
    std::uint64_t noise_secret = 0;
    /// With dp_min_noise_multiplier > 0, the worker releases only
    /// differentially private aggregates (DP-FedAvg's dp_accumulate and
    /// dp_release; fedavg, the median, the trimmed mean, accumulate and
    /// average_of are refused), of updates clipped to at most
    /// dp_max_clip_norm, with noise of a standard deviation of at least
    /// dp_min_noise_multiplier * dp_max_clip_norm: the noise is no longer
    /// the caller's choice.
    double dp_max_clip_norm = 0;
    double dp_min_noise_multiplier = 0;
    /// With mask_min_noise_multiplier > 0, a data owner masks (secure
    /// aggregation's client_mask) only updates clipped to at most
    /// mask_max_clip_norm (it clips a larger one), with a share of
    /// distributed DP's noise of a standard deviation of at least
    /// mask_min_noise_multiplier * mask_max_clip_norm / sqrt(t), t the
    /// session's threshold, and of at least mask_min_own_noise_multiplier
    /// * mask_max_clip_norm whatever t: the noise is no longer the caller's
    /// choice.
    double mask_max_clip_norm = 0;
    double mask_min_noise_multiplier = 0;
    double mask_min_own_noise_multiplier = 0;

    /// Whether the worker releases only DP aggregates.
    [[nodiscard]] bool dp_only() const noexcept { return dp_min_noise_multiplier > 0; }
    /// Whether the worker masks only clipped updates with noise of its floor.
    [[nodiscard]] bool mask_floor() const noexcept { return mask_min_noise_multiplier > 0; }
};

/// What a computation receives: the objects named by the request (types
/// checked), who contributed each, the encoded by-value arguments, and the
/// worker's rules.
struct Invocation {
    std::span<detail::RemoteObject* const> objects;
    std::span<const ContributorId> contributors;
    std::span<const std::byte> arguments;
    WorkerRules rules;
    ExecutionContext context;
};

/// What a worker can run. `name` identifies it across processes (empty: an
/// unnamed computation, which runs only in the caller's process).
struct Computation {
    std::string name;
    /// Runs it; returns the result to store (nullptr for none). The objects
    /// must be of the types `inputs` lists (checked by accepts()).
    std::unique_ptr<detail::RemoteObject> (*invoke)(const Invocation& invocation);
    /// The types of the objects it takes, in order; with `variadic`, the
    /// last one repeated any number (at least once) of times.
    std::vector<const ValueType*> inputs;
    bool variadic = false;
    /// One of fedpp's aggregations: it releases only aggregates of enough
    /// data owners, and may take what data owners sent to a trusted worker.
    bool aggregation = false;
    /// For an aggregation that takes its last input from another worker
    /// (Request::forward_into) and keeps nothing of it (fedpp::accumulate's):
    /// whether it may read that value where it is, in the other store of
    /// this process, which it may when no other object shares its memory
    /// (otherwise it gets a decoded copy). Null: it takes no forwarded value.
    /// Honoured only for a registered computation (forward_target_of).
    bool (*reads_in_place)(const detail::RemoteObject& forwarded) = nullptr;
    /// An aggregation that combines the data owners' values it takes (into
    /// an aggregate, or a sum that becomes one): a served aggregator lets
    /// each such value into one only (party::Host), as the difference of
    /// two aggregates that share all but one would tell that one.
    bool spends_contributions = false;

    /// True when objects of `types`, in order, are what it takes.
    [[nodiscard]] bool accepts(std::span<const ValueType* const> types) const {
        if (inputs.empty()) {
            return types.empty();
        }
        if (types.size() < inputs.size() || (!variadic && types.size() != inputs.size())) {
            return false;
        }
        for (std::size_t i = 0; i < types.size(); ++i) {
            const ValueType& wanted = *inputs[std::min(i, inputs.size() - 1)];
            if (!types[i]->same_as(wanted)) {
                return false;
            }
        }
        return true;
    }
};

namespace detail {

/// Every named computation of this program, by name.
class ComputationRegistry {
public:
    static ComputationRegistry& instance() {
        static ComputationRegistry registry;
        return registry;
    }

    /// Registers `computation` (a static object). A second computation of
    /// the same name would make remote calls ambiguous: a logic error.
    const Computation& add(const Computation& computation) {
        const std::lock_guard lock(mutex_);
        const auto [it, inserted] = by_name_.emplace(computation.name, &computation);
        if (!inserted && it->second->invoke != computation.invoke) {
            throw ArgumentError("fedpp: two different computations are named '" + computation.name + "'");
        }
        return computation;
    }

    /// The computation named `name`, or nullptr.
    [[nodiscard]] const Computation* find(std::string_view name) const {
        const std::lock_guard lock(mutex_);
        const auto it = by_name_.find(std::string(name));
        return it == by_name_.end() ? nullptr : it->second;
    }

    [[nodiscard]] std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return by_name_.size();
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, const Computation*, std::less<>> by_name_;
};

/// The static Computation described by `Description` (a type with
/// `static std::string name()`, `static std::unique_ptr<RemoteObject>
/// invoke(const Invocation&)` and `static std::vector<const ValueType*>
/// inputs()`, and optionally `static constexpr bool variadic`,
/// `aggregation` and `spends_contributions`, and `reads_in_place`),
/// registered by name before main() runs when the name is not empty: any
/// use of computation_of<Description>() in a program makes it findable in
/// every process of that program.
template <class Description>
struct RegisteredComputation {
    static const Computation& get() {
        static const Computation computation{Description::name(),  &Description::invoke,
                                             Description::inputs(), variadic(),
                                             aggregation(),         reads_in_place(),
                                             aggregation() && spends_contributions()};
        return computation;
    }
    static constexpr bool spends_contributions() {
        if constexpr (requires { Description::spends_contributions; }) {
            return Description::spends_contributions;
        } else {
            return false;
        }
    }
    static constexpr auto reads_in_place() {
        using Check = bool (*)(const RemoteObject&);
        if constexpr (requires(const RemoteObject& forwarded) { Description::reads_in_place(forwarded); }) {
            return aggregation() ? Check{&Description::reads_in_place} : Check{nullptr};
        } else {
            return Check{nullptr};
        }
    }
    static constexpr bool variadic() {
        if constexpr (requires { Description::variadic; }) {
            return Description::variadic;
        } else {
            return false;
        }
    }
    static constexpr bool aggregation() {
        if constexpr (requires { Description::aggregation; }) {
            return Description::aggregation;
        } else {
            return false;
        }
    }
    static inline const bool registered = [] {
        if (!get().name.empty()) {
            ComputationRegistry::instance().add(get());
        }
        return true;
    }();
};

template <class Description>
const Computation& computation_of() {
    (void)RegisteredComputation<Description>::registered; // instantiates the registration
    return RegisteredComputation<Description>::get();
}

/// True when `computation` may take a value forwarded from another worker
/// (Request::forward_into): one of fedpp's registered aggregations that
/// declares it (Computation::reads_in_place), not a look-alike built by the
/// caller. The last one checked is remembered per thread.
inline bool forward_target_of(const Computation& computation) {
    thread_local const Computation* checked = nullptr;
    if (&computation == checked) {
        return true;
    }
    if (!computation.aggregation || computation.reads_in_place == nullptr || computation.name.empty() ||
        ComputationRegistry::instance().find(computation.name) != &computation) {
        return false;
    }
    checked = &computation;
    return true;
}

} // namespace detail

} // namespace fedpp
