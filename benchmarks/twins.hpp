// The two implementations of every workload. fedpp_side.cpp includes fedpp
// (and Eigen) only; libtorch_side.cpp includes libtorch only, and is built
// when CMake finds libtorch (FEDPP_BENCH_WITH_LIBTORCH).
//
// Each side hands out the body of its timed loop; main.cpp times it with
// Google Benchmark, and profile.cpp runs it a fixed number of times for
// callgrind, so both measure exactly the same code.
#pragma once

#include "workloads.hpp"

#include <functional>
#include <string>

namespace bench {

namespace fedpp_side {
/// One iteration of `workload` (a whole tutorial run, one SGD step, one
/// FedAvg), with its set-up done: the state it carries from call to call (a
/// model being trained, the models at the aggregator) lives in the callable.
[[nodiscard]] std::function<void()> iteration(Workload workload);
/// The result of `workload` for the consistency check.
[[nodiscard]] Trace trace(Workload workload);
/// Eigen's version and the SIMD instruction sets it was compiled for.
[[nodiscard]] std::string describe();
} // namespace fedpp_side

#if FEDPP_BENCH_WITH_LIBTORCH
namespace libtorch_side {
[[nodiscard]] std::function<void()> iteration(Workload workload);
[[nodiscard]] Trace trace(Workload workload);
/// One intra-op and one inter-op thread for ATen, and one for OpenBLAS, so
/// that both sides of every ratio run on one core.
void use_one_thread();
/// libtorch's version, thread counts, CPU capability and BLAS.
[[nodiscard]] std::string describe();
} // namespace libtorch_side
#endif

} // namespace bench
