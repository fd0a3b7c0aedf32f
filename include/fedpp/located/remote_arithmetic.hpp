// fedpp: arithmetic on tensors where they live.
//
// `a + b` on two Pointer<Tensor<T>, L> computes at their worker and returns a
// pointer there, as PySyft's pointer arithmetic does. Operands at two
// different locations do not compile; at two workers of the same location
// type they throw LocationError. At a trusted location, tensors sent there
// may only be aggregated, so there is no arithmetic on them.
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
template <class T, class La, class Lb>
constexpr void check_remote_arithmetic() {
    static_assert(SameLocation<La, Lb>,
                  "fedpp: the two values live at different locations, so they cannot be combined: move one to "
                  "the other's location first (a data owner's values only to a TrustedAggregator)");
    static_assert(ComputableAt<Tensor<T>, La>,
                  "fedpp: tensors at a trusted location may only be aggregated (fedpp::fedavg), not combined");
}

/// `Op` (stateless: x op y, no graph) at the operands' worker.
template <class Op, class T, Location L>
Pointer<Tensor<T>, L> combine_remote(const char* operation, const Pointer<Tensor<T>, L>& a,
                                     const Pointer<Tensor<T>, L>& b) {
    PointerAccess::require_live(a, operation);
    return run_at<L, Op>(PointerAccess::seam(a), a.worker_id(), operation, a, b);
}

struct RemoteAdd {
    template <class T>
    Tensor<T> operator()(const Tensor<T>& x, const Tensor<T>& y) const {
        const NoGradGuard values_only;
        return x + y;
    }
};
struct RemoteSub {
    template <class T>
    Tensor<T> operator()(const Tensor<T>& x, const Tensor<T>& y) const {
        const NoGradGuard values_only;
        return x - y;
    }
};
struct RemoteMul {
    template <class T>
    Tensor<T> operator()(const Tensor<T>& x, const Tensor<T>& y) const {
        const NoGradGuard values_only;
        return x * y;
    }
};
} // namespace detail

template <class T, Location La, Location Lb>
[[nodiscard]] Pointer<Tensor<T>, La> operator+(const Pointer<Tensor<T>, La>& a, const Pointer<Tensor<T>, Lb>& b) {
    detail::check_remote_arithmetic<T, La, Lb>();
    if constexpr (SameLocation<La, Lb> && ComputableAt<Tensor<T>, La>) {
        return detail::combine_remote<detail::RemoteAdd>("operator+", a, b);
    }
}

template <class T, Location La, Location Lb>
[[nodiscard]] Pointer<Tensor<T>, La> operator-(const Pointer<Tensor<T>, La>& a, const Pointer<Tensor<T>, Lb>& b) {
    detail::check_remote_arithmetic<T, La, Lb>();
    if constexpr (SameLocation<La, Lb> && ComputableAt<Tensor<T>, La>) {
        return detail::combine_remote<detail::RemoteSub>("operator-", a, b);
    }
}

/// Elementwise product, as for local tensors.
template <class T, Location La, Location Lb>
[[nodiscard]] Pointer<Tensor<T>, La> operator*(const Pointer<Tensor<T>, La>& a, const Pointer<Tensor<T>, Lb>& b) {
    detail::check_remote_arithmetic<T, La, Lb>();
    if constexpr (SameLocation<La, Lb> && ComputableAt<Tensor<T>, La>) {
        return detail::combine_remote<detail::RemoteMul>("operator*", a, b);
    }
}

} // namespace fedpp
