// fedpp: federated learning whose privacy rules are checked by the compiler.
//
// This header includes the core library: tensors and autograd, nn, optim,
// located values (Worker, Pointer, send, get, move, declassify), the
// transport they travel by, byte codecs and checkpoints, aggregation
// (fedavg, streaming sums, robust aggregators), local training, and data
// sets and partitions. Two more umbrellas keep the build of programs that do
// not need them short: fedpp/federated.hpp (the FedAvg driver over many
// clients) and fedpp/loaders.hpp (the UCI digits and MNIST loaders).
#pragma once

#include "fedpp/aggregation/accumulate.hpp"
#include "fedpp/aggregation/fedavg.hpp"
#include "fedpp/aggregation/robust.hpp"
#include "fedpp/aggregation/validate.hpp"
#include "fedpp/aggregation/weighted_sum.hpp"
#include "fedpp/autograd/grad_mode.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/matrix.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/data/partition.hpp"
#include "fedpp/data/split.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/io/codecs.hpp"
#include "fedpp/located/aggregate.hpp"
#include "fedpp/located/computation.hpp"
#include "fedpp/located/declassify.hpp"
#include "fedpp/located/federation.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/remote_arithmetic.hpp"
#include "fedpp/located/trust.hpp"
#include "fedpp/located/worker.hpp"
#include "fedpp/nn/activation.hpp"
#include "fedpp/nn/conv2d.hpp"
#include "fedpp/nn/dropout.hpp"
#include "fedpp/nn/linear.hpp"
#include "fedpp/nn/loss.hpp"
#include "fedpp/nn/mode.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/nn/pooling.hpp"
#include "fedpp/nn/sequential.hpp"
#include "fedpp/optim/sgd.hpp"
#include "fedpp/tensor/tensor.hpp"
#include "fedpp/training/evaluation.hpp"
#include "fedpp/training/local_training.hpp"
#include "fedpp/transport/in_process_transport.hpp"
#include "fedpp/transport/transfer_log.hpp"
#include "fedpp/transport/transport.hpp"
