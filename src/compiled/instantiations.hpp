// fedpp::compiled: the templates that fedpp/base/compiled.hpp explains,
// listed once. float.cpp and double.cpp instantiate them for their type (two
// files, so that a build compiles them in parallel). A program linked to
// this library (FEDPP_COMPILED) sees an `extern template` declaration for
// each at the end of the header that defines it, and takes the code from
// here. tests/compiled_library/ checks, node by node, that it does.
#pragma once

#include "fedpp/fedpp.hpp"

#if !defined(FEDPP_COMPILED)
#error "fedpp::compiled is built with FEDPP_COMPILED, as the programs that link it"
#endif

/// Each operation's node, with its backward kernel (fedpp/tensor/ops,
/// fedpp/nn/loss.hpp): X(name, T) for each, fedpp::detail::name<T>.
#define FEDPP_COMPILED_NODES(X, T)                                                                              \
    X(AddNode, T) X(SubNode, T) X(MulNode, T) X(ScaleNode, T) X(AddScalarNode, T) X(SquareNode, T)             \
    X(PowNode, T) X(SumNode, T) X(MeanNode, T) X(ReluNode, T) X(SigmoidNode, T) X(TanhNode, T)                 \
    X(LogSoftmaxNode, T) X(MatmulNode, T) X(LinearNode, T) X(SliceRowsNode, T) X(DropoutNode, T)               \
    X(Conv2dNode, T) X(MaxPool2dNode, T) X(MseNode, T) X(NllNode, T) X(CrossEntropyNode, T)

#define FEDPP_INSTANTIATE_NODE(name, T) template struct fedpp::detail::name<T>;

/// The function templates each header lists for fedpp::compiled
/// (FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE, fedpp/base/compiled.hpp): the
/// forward functions of the elementwise operations, reductions, slicing and
/// activations, the codecs of matrices, tensors and scalars, the
/// parameters' layout check and FedAvg's blocked sum.
#define FEDPP_COMPILED_FUNCTION_LISTS(X, T)                                                                     \
    FEDPP_ELEMENTWISE_FUNCTIONS(X, T) FEDPP_REDUCTION_FUNCTIONS(X, T) FEDPP_SLICING_FUNCTIONS(X, T)            \
    FEDPP_ACTIVATION_FUNCTIONS(X, T) FEDPP_CODEC_FUNCTIONS(X, T) FEDPP_PARAMETER_CHECK_FUNCTIONS(X, T)         \
    FEDPP_BLOCKED_SUM_FUNCTIONS(X, T)

#define FEDPP_INSTANTIATE_FUNCTION(...) template __VA_ARGS__;

#define FEDPP_INSTANTIATE_FOR(T)                                                                                \
    /* The graph: its node type and the backward pass (fedpp/autograd). */                                     \
    template class fedpp::detail::Node<T>;                                                                     \
    template void fedpp::detail::run_backward<T>(fedpp::detail::Node<T>&, fedpp::Matrix<T>);                   \
    FEDPP_COMPILED_NODES(FEDPP_INSTANTIATE_NODE, T)                                                            \
    FEDPP_COMPILED_FUNCTION_LISTS(FEDPP_INSTANTIATE_FUNCTION, T)                                               \
    /* The forward products: with their backward, a small model's matrix-product kernels. */                  \
    template fedpp::Tensor<T> fedpp::matmul(const fedpp::Tensor<T>&, const fedpp::Tensor<T>&);                 \
    template fedpp::Tensor<T> fedpp::linear(const fedpp::Tensor<T>&, const fedpp::Tensor<T>&,                  \
                                            const fedpp::Tensor<T>&);                                          \
    /* The optimiser (fedpp/optim/sgd.hpp). */                                                                 \
    template class fedpp::optim::SGD<T>
