// fedpp: the data set loaders (UCI digits, MNIST), which read gzip files
// with zlib. Link the CMake target fedpp::datasets (fedpp::fedpp plus
// zlib) to use them; fedpp/fedpp.hpp leaves them out so that the core
// library needs nothing but Eigen.
#pragma once

#include "fedpp/data/digits.hpp"
#include "fedpp/data/mnist.hpp"
