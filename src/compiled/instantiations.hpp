// fedpp::compiled: the templates that fedpp/base/compiled.hpp explains,
// listed once. float.cpp and double.cpp instantiate them for their type (two
// files, so that a build compiles them in parallel). A program linked to
// this library (FEDPP_COMPILED) sees an `extern template` declaration for
// each at the end of the header that defines it, and takes the code from here.
#pragma once

#include "fedpp/fedpp.hpp"

#if !defined(FEDPP_COMPILED)
#error "fedpp::compiled is built with FEDPP_COMPILED, as the programs that link it"
#endif

// clang-format off
#define FEDPP_INSTANTIATE_FOR(T)                                                                                \
    /* The graph: its node type and the backward pass (fedpp/autograd). */                                     \
    template class fedpp::detail::Node<T>;                                                                     \
    template void fedpp::detail::run_backward<T>(fedpp::detail::Node<T>&, fedpp::Matrix<T>);                   \
    /* Each operation's node, with its backward kernel (fedpp/tensor/ops, fedpp/nn/loss.hpp). */               \
    template struct fedpp::detail::AddNode<T>;                                                                 \
    template struct fedpp::detail::SubNode<T>;                                                                 \
    template struct fedpp::detail::MulNode<T>;                                                                 \
    template struct fedpp::detail::ScaleNode<T>;                                                               \
    template struct fedpp::detail::AddScalarNode<T>;                                                           \
    template struct fedpp::detail::SquareNode<T>;                                                              \
    template struct fedpp::detail::PowNode<T>;                                                                 \
    template struct fedpp::detail::SumNode<T>;                                                                 \
    template struct fedpp::detail::MeanNode<T>;                                                                \
    template struct fedpp::detail::ReluNode<T>;                                                                \
    template struct fedpp::detail::SigmoidNode<T>;                                                             \
    template struct fedpp::detail::TanhNode<T>;                                                                \
    template struct fedpp::detail::LogSoftmaxNode<T>;                                                          \
    template struct fedpp::detail::MatmulNode<T>;                                                              \
    template struct fedpp::detail::LinearNode<T>;                                                              \
    template struct fedpp::detail::SliceRowsNode<T>;                                                           \
    template struct fedpp::detail::DropoutNode<T>;                                                             \
    template struct fedpp::detail::Conv2dNode<T>;                                                              \
    template struct fedpp::detail::MaxPool2dNode<T>;                                                           \
    template struct fedpp::detail::MseNode<T>;                                                                 \
    template struct fedpp::detail::NllNode<T>;                                                                 \
    template struct fedpp::detail::CrossEntropyNode<T>;                                                        \
    /* The forward products: with their backward, a small model's matrix-product kernels. */                  \
    template fedpp::Tensor<T> fedpp::matmul(const fedpp::Tensor<T>&, const fedpp::Tensor<T>&);                 \
    template fedpp::Tensor<T> fedpp::linear(const fedpp::Tensor<T>&, const fedpp::Tensor<T>&,                  \
                                            const fedpp::Tensor<T>&);                                          \
    /* The optimiser (fedpp/optim/sgd.hpp). */                                                                 \
    template class fedpp::optim::SGD<T>
// clang-format on
