// fedpp: the inputs a store hands one computation, held while it runs, and
// the run.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/object_shard.hpp"
#include "fedpp/transport/value_type.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// The objects a computation runs on, who contributed each and their types,
/// in the arrays an Invocation views. Each input is held until this goes: a
/// peer erasing one meanwhile does not pull it from under the computation.
/// Most computations take a few inputs (a model, its data), kept here; fedavg
/// takes hundreds, kept on the heap.
class InvocationInputs {
public:
    explicit InvocationInputs(std::size_t count);
    InvocationInputs(const InvocationInputs&) = delete; // (the spans point into it)
    InvocationInputs& operator=(const InvocationInputs&) = delete;
    ~InvocationInputs();

    /// Input `i` (< the count given).
    void set(std::size_t i, HeldObject input) {
        const bool few = count_ <= usual;
        ObjectHandle& held = few ? usual_held_[i] : many_held_[i];
        held = std::move(input.object);
        (few ? usual_objects_[i] : many_objects_[i]) = held.get();
        (few ? usual_contributors_[i] : many_contributors_[i]) = input.contributor;
        (few ? usual_types_[i] : many_types_[i]) = &held->type();
    }

    /// Input `i` will hold a `type` (set() it before invoke()): what check()
    /// needs of an input that is not here yet.
    void expect(std::size_t i, const ValueType& type) noexcept {
        (count_ <= usual ? usual_types_[i] : many_types_[i]) = &type;
    }

    [[nodiscard]] std::span<RemoteObject* const> objects() const noexcept {
        return {count_ <= usual ? usual_objects_.data() : many_objects_.data(), count_};
    }
    [[nodiscard]] std::span<const ContributorId> contributors() const noexcept {
        return {count_ <= usual ? usual_contributors_.data() : many_contributors_.data(), count_};
    }
    [[nodiscard]] std::span<const ValueType* const> types() const noexcept {
        return {count_ <= usual ? usual_types_.data() : many_types_.data(), count_};
    }

    /// RemoteObjectError unless `computation`, at worker `worker`, takes
    /// inputs of these types.
    void check(const Computation& computation, const std::string& worker) const;

    /// Runs `computation` (check()ed) on these inputs at worker `worker`,
    /// with the request's by-value `arguments` and the worker's rules;
    /// returns its result. An exception that is not one of fedpp's becomes
    /// a ComputationError with the same message.
    std::unique_ptr<RemoteObject> invoke(const Computation& computation, const std::string& worker,
                                         std::span<const std::byte> arguments, const WorkerRules& rules,
                                         const ExecutionContext& context) const;

private:
    static constexpr std::size_t usual = 8;
    std::size_t count_;
    std::array<ObjectHandle, usual> usual_held_;
    std::array<RemoteObject*, usual> usual_objects_{};
    std::array<ContributorId, usual> usual_contributors_{};
    std::array<const ValueType*, usual> usual_types_{};
    std::vector<ObjectHandle> many_held_;
    std::vector<RemoteObject*> many_objects_;
    std::vector<ContributorId> many_contributors_;
    std::vector<const ValueType*> many_types_;
};

} // namespace fedpp::detail

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/transport/invocation_inputs-inl.hpp"
#endif
