// fedpp: checking an update where it is, at a trusted location, before it
// is aggregated: a faulty client's update is rejected with the reason, and
// nothing of it reaches an aggregate.
#pragma once

#include "fedpp/aggregation/accumulate.hpp"
#include "fedpp/aggregation/checks.hpp"
#include "fedpp/io/bytes.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/nn/parameter_checks.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fedpp {

namespace detail {
/// check_update of object 0 against the shapes in the arguments.
template <class M>
struct ValidateComputation {
    static constexpr bool aggregation = true;
    static std::string name() { return "fedpp.validate(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<M>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        ByteReader arguments(invocation.arguments, "validate");
        const auto extents = Codec<std::vector<std::int64_t>>::decode(arguments);
        arguments.expect_end();
        ParameterShapes shapes;
        for (std::size_t i = 0; i + 1 < extents.size(); i += 2) {
            shapes.emplace_back(static_cast<Index>(extents[i]), static_cast<Index>(extents[i + 1]));
        }
        check_update("federated round", shapes, static_cast<RemoteValue<M>&>(*invocation.objects[0]).value);
        return nullptr;
    }
};
} // namespace detail

/// ShapeError unless the update `update` points to is laid out as
/// `shapes`, AggregationError if it holds a NaN or an infinity; checked at
/// its trusted worker.
template <class M, Location L>
void validate(const Pointer<M, L>& update, const detail::ParameterShapes& shapes) {
    detail::check_streaming_rules<L>();
    std::vector<std::int64_t> extents;
    for (const auto& [rows, cols] : shapes) {
        extents.push_back(rows);
        extents.push_back(cols);
    }
    Bytes arguments;
    ByteWriter out(arguments);
    Codec<std::vector<std::int64_t>>::encode(extents, out);
    detail::execute_on<detail::ValidateComputation<M>, void, L>("fedpp::validate", arguments, update);
}

} // namespace fedpp
