// fedpp: dropout, zeroing each value with probability p and scaling the
// others by 1 / (1 - p) (inverted dropout, as torch.nn.functional.dropout in
// training), one node that keeps its mask.
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/tensor/ops/record.hpp"

#include <string>
#include <utility>

namespace fedpp {

namespace detail {

template <class T>
struct DropoutNode final : Node<T> {
    explicit DropoutNode(Matrix<T>&& m) : mask(std::move(m)) {}
    Matrix<T> mask; // 0 for a dropped value, 1 / (1 - p) for a kept one
    std::string_view op_name() const noexcept override { return "dropout"; }
    void backward() override {
        this->grad.array() *= mask.array(); // in place, then handed over
        this->inputs[0]->accumulate(std::move(this->grad));
    }
};

} // namespace detail

/// x with each value dropped (set to 0) with probability p and the others
/// multiplied by 1 / (1 - p), so that the expected value is unchanged. The
/// draws come from `generator`, one uniform01() per value in row-major
/// order (none for p = 0, which returns x itself, or p = 1, which returns
/// zeros): the same generator state gives the same mask on every machine
/// and thread. ArgumentError unless 0 <= p <= 1.
template <class T>
Tensor<T> dropout(const Tensor<T>& x, double p, Generator& generator) {
    if (!(p >= 0 && p <= 1)) {
        throw ArgumentError("dropout: the probability must be in [0, 1], got " + std::to_string(p));
    }
    if (p == 0) {
        return x;
    }
    Matrix<T> mask(x.rows(), x.cols());
    if (p == 1) {
        mask.setZero();
    } else {
        const T keep = static_cast<T>(1.0 / (1.0 - p));
        T* m = mask.data();
        for (Index i = 0; i < mask.size(); ++i) {
            m[i] = generator.uniform01() < p ? T(0) : keep;
        }
    }
    Matrix<T> out = x.value().cwiseProduct(mask);
    return detail::record<detail::DropoutNode<T>>(std::move(out), {&x}, std::move(mask));
}

} // namespace fedpp

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::DropoutNode);
