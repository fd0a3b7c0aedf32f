// fedpp: operators on tensors (+, -, *, / with tensors and scalars) and the
// member spellings of the operations (x.matmul(w), x.sum(), ...).
#pragma once

#include "fedpp/tensor/ops/activations.hpp"
#include "fedpp/tensor/ops/elementwise.hpp"
#include "fedpp/tensor/ops/linear_algebra.hpp"
#include "fedpp/tensor/ops/reductions.hpp"
#include "fedpp/tensor/ops/slicing.hpp"

#include <type_traits>

namespace fedpp {

template <class T>
Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) { return add(a, b); }
template <class T>
Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) { return sub(a, b); }
/// Elementwise, as in PyTorch; the matrix product is matmul().
template <class T>
Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) { return mul(a, b); }
template <class T>
Tensor<T> operator*(const Tensor<T>& x, std::type_identity_t<T> s) { return scale(x, s); }
template <class T>
Tensor<T> operator*(std::type_identity_t<T> s, const Tensor<T>& x) { return scale(x, s); }
template <class T>
Tensor<T> operator/(const Tensor<T>& x, std::type_identity_t<T> s) { return scale(x, T(1) / s); }
template <class T>
Tensor<T> operator-(const Tensor<T>& x) { return scale(x, T(-1)); }
template <class T>
Tensor<T> operator+(const Tensor<T>& x, std::type_identity_t<T> s) { return add_scalar(x, s); }
template <class T>
Tensor<T> operator-(const Tensor<T>& x, std::type_identity_t<T> s) { return add_scalar(x, -s); }

template <class T>
Tensor<T> Tensor<T>::matmul(const Tensor& rhs) const { return fedpp::matmul(*this, rhs); }
template <class T>
Tensor<T> Tensor<T>::pow(T exponent) const { return fedpp::pow(*this, exponent); }
template <class T>
Tensor<T> Tensor<T>::square() const { return fedpp::square(*this); }
template <class T>
Tensor<T> Tensor<T>::sum() const { return fedpp::sum(*this); }
template <class T>
Tensor<T> Tensor<T>::mean() const { return fedpp::mean(*this); }
template <class T>
Tensor<T> Tensor<T>::relu() const { return fedpp::relu(*this); }
template <class T>
Tensor<T> Tensor<T>::sigmoid() const { return fedpp::sigmoid(*this); }
template <class T>
Tensor<T> Tensor<T>::tanh() const { return fedpp::tanh(*this); }
template <class T>
Tensor<T> Tensor<T>::log_softmax() const { return fedpp::log_softmax(*this); }
template <class T>
Tensor<T> Tensor<T>::slice_rows(Index begin, Index end) const { return fedpp::slice_rows(*this, begin, end); }

} // namespace fedpp
