// fedpp: InvocationInputs' definitions (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/invocation_inputs.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>

namespace fedpp::detail {

FEDPP_INLINE InvocationInputs::InvocationInputs(std::size_t count)
    : count_(count), many_held_(count > usual ? count : 0), many_objects_(count > usual ? count : 0),
      many_contributors_(count > usual ? count : 0), many_types_(count > usual ? count : 0) {}

FEDPP_INLINE InvocationInputs::~InvocationInputs() = default;

FEDPP_INLINE void InvocationInputs::check(const Computation& computation, const std::string& worker) const {
    if (!computation.accepts(types())) {
        throw RemoteObjectError("worker '" + worker + "': computation '" + computation.name +
                                "' does not take objects of these types");
    }
}

FEDPP_INLINE std::unique_ptr<RemoteObject> InvocationInputs::invoke(const Computation& computation,
                                                                    const std::string& worker,
                                                                    std::span<const std::byte> arguments,
                                                                    const WorkerRules& rules,
                                                                    const ExecutionContext& context) const {
    try {
        return computation.invoke(Invocation{objects(), contributors(), arguments, rules, context});
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw ComputationError(e.what());
    } catch (...) {
        throw ComputationError("a computation at '" + worker + "' threw an exception that is not a std::exception");
    }
}

} // namespace fedpp::detail
