// fedpp: Tensor, a dense matrix with reverse-mode automatic differentiation,
// and its differentiable operations.
//
// Each operation computes its result with Eigen and, when gradients are being
// recorded and an input requires one, returns a tensor whose node remembers
// the inputs and implements the backward step for the whole matrix:
//
//   matmul       C = A B              dA += dC B^T,    dB += A^T dC
//   linear       Y = X W^T + b        dX += dY W,      dW += dY^T X,  db += colsum dY
//   add/sub/mul  elementwise, either operand may be broadcast along rows
//                and/or columns (a 1 x n bias over a batch); the gradient
//                of a broadcast operand is summed back to its shape
//   scale        Y = s X              dX += s dY
//   square/pow   Y = X^p              dX += p X^(p-1) dY
//   sum/mean     y = sum X (/ n)      dX += dy (/ n)
//   relu, sigmoid, tanh, log_softmax (row-wise), slice_rows
//   conv2d       Y_n = W unfold(X_n) + b per image (im2col; one matrix product per image)
//   max_pool2d   the max of each window; its gradient goes to where the max was
//   dropout      Y = X * mask, the mask drawn from a Generator; dX += mask * dY
//
// Images are rows: a batch of N images of C x H x W is N x (C*H*W), in
// PyTorch's NCHW memory order (fedpp/tensor/image_shape.hpp).
//
// One header per family, in fedpp/tensor/ops/.
//
#pragma once

#include "fedpp/tensor/basic_tensor.hpp"
#include "fedpp/tensor/image_shape.hpp"
#include "fedpp/tensor/ops/activations.hpp"
#include "fedpp/tensor/ops/convolution.hpp"
#include "fedpp/tensor/ops/dropout.hpp"
#include "fedpp/tensor/ops/elementwise.hpp"
#include "fedpp/tensor/ops/linear_algebra.hpp"
#include "fedpp/tensor/ops/operators.hpp"
#include "fedpp/tensor/ops/pooling.hpp"
#include "fedpp/tensor/ops/reductions.hpp"
#include "fedpp/tensor/ops/slicing.hpp"
