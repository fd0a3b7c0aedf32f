// fedpp: arithmetic on tensors where they live.
//
// `a + b` on two Pointer<Tensor<T>, L> computes at their worker and returns a
// pointer there, as PySyft's pointer arithmetic does. Operands at two
// different locations do not compile; at two workers of the same location
// type they throw LocationError.
#pragma once

#include "fedpp/autograd/grad_mode.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/remote_call.hpp"
#include "fedpp/located/trust.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <type_traits>

namespace fedpp {

namespace detail {
template <class La, class Lb>
constexpr void check_same_location() {
    static_assert(same_location_v<La, Lb>,
                  "fedpp: the two values live at different locations, so they cannot be combined: move one to "
                  "the other's location first (a data owner's values only to a TrustedAggregator)");
}

template <class T, Location L, class F>
Pointer<Tensor<T>, L> combine_remote(const char* operation, const Pointer<Tensor<T>, L>& a,
                                     const Pointer<Tensor<T>, L>& b, F f) {
    PointerAccess::require_live(a, operation);
    return run_at<L>(PointerAccess::seam(a), a.worker_id(), operation,
                     [f](Tensor<T>& x, Tensor<T>& y) {
                         const NoGradGuard values_only;
                         return f(x, y);
                     },
                     a, b);
}
} // namespace detail

template <class T, Location La, Location Lb>
[[nodiscard]] Pointer<Tensor<T>, La> operator+(const Pointer<Tensor<T>, La>& a, const Pointer<Tensor<T>, Lb>& b) {
    detail::check_same_location<La, Lb>();
    if constexpr (same_location_v<La, Lb>) {
        return detail::combine_remote("operator+", a, b, [](const Tensor<T>& x, const Tensor<T>& y) { return x + y; });
    }
}

template <class T, Location La, Location Lb>
[[nodiscard]] Pointer<Tensor<T>, La> operator-(const Pointer<Tensor<T>, La>& a, const Pointer<Tensor<T>, Lb>& b) {
    detail::check_same_location<La, Lb>();
    if constexpr (same_location_v<La, Lb>) {
        return detail::combine_remote("operator-", a, b, [](const Tensor<T>& x, const Tensor<T>& y) { return x - y; });
    }
}

/// Elementwise product, as for local tensors.
template <class T, Location La, Location Lb>
[[nodiscard]] Pointer<Tensor<T>, La> operator*(const Pointer<Tensor<T>, La>& a, const Pointer<Tensor<T>, Lb>& b) {
    detail::check_same_location<La, Lb>();
    if constexpr (same_location_v<La, Lb>) {
        return detail::combine_remote("operator*", a, b, [](const Tensor<T>& x, const Tensor<T>& y) { return x * y; });
    }
}

} // namespace fedpp
