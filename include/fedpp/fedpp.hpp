// fedpp: federated learning whose privacy rules are checked by the compiler.
// This header includes the core library. Two more umbrellas keep the build
// of programs that do not need them short: fedpp/federated.hpp (the FedAvg
// driver over many clients, checkpoints) and fedpp/datasets.hpp (the UCI
// digits and MNIST loaders).
#pragma once

#include "fedpp/aggregation.hpp"
#include "fedpp/autograd/grad_mode.hpp"
#include "fedpp/codecs.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/data/partition.hpp"
#include "fedpp/data/split.hpp"
#include "fedpp/errors.hpp"
#include "fedpp/fedavg.hpp"
#include "fedpp/federation.hpp"
#include "fedpp/location.hpp"
#include "fedpp/nn/activation.hpp"
#include "fedpp/nn/linear.hpp"
#include "fedpp/nn/loss.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/nn/sequential.hpp"
#include "fedpp/optim/sgd.hpp"
#include "fedpp/pointer.hpp"
#include "fedpp/random.hpp"
#include "fedpp/remote_ops.hpp"
#include "fedpp/robust_aggregation.hpp"
#include "fedpp/serialization.hpp"
#include "fedpp/tensor.hpp"
#include "fedpp/transfer_log.hpp"
#include "fedpp/transport.hpp"
#include "fedpp/worker.hpp"
