// fedpp: the data set loaders (UCI digits, MNIST), which read gzip files
// with zlib. Kept out of fedpp/fedpp.hpp so that programs that do not load
// data sets compile faster.
#pragma once

#include "fedpp/data/digits.hpp"
#include "fedpp/data/mnist.hpp"
