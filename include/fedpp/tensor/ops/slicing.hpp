// fedpp: slice_rows, a range of rows (Python's x[begin:end]).
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/ops/record.hpp"

#include <string>

namespace fedpp {

namespace detail {

template <class T>
struct SliceRowsNode final : Node<T> {
    explicit SliceRowsNode(Index first) : begin(first) {}
    Index begin;
    std::string_view op_name() const noexcept override { return "slice_rows"; }
    void backward() override {
        Node<T>& x = *this->inputs[0];
        if (!x.has_grad) {
            x.grad.setZero(x.value.rows(), x.value.cols());
            x.has_grad = true;
        }
        x.grad.middleRows(begin, this->grad.rows()) += this->grad;
    }
};

} // namespace detail

/// Rows [begin, end) of x (Python's x[begin:end]).
template <class T>
Tensor<T> slice_rows(const Tensor<T>& x, Index begin, Index end) {
    if (begin < 0 || end < begin || end > x.rows()) {
        throw ShapeError("slice_rows: [" + std::to_string(begin) + ", " + std::to_string(end) +
                         ") is not a row range of a " + x.shape_string() + " tensor");
    }
    return detail::record<detail::SliceRowsNode<T>>(Matrix<T>(x.value().middleRows(begin, end - begin)),
                                                     {&x}, begin);
}

} // namespace fedpp

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::SliceRowsNode);
#define FEDPP_SLICING_FUNCTIONS(X, T)                                                                           \
    X(fedpp::Tensor<T> fedpp::slice_rows<T>(const fedpp::Tensor<T>&, fedpp::Index, fedpp::Index))
FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE(FEDPP_SLICING_FUNCTIONS);
