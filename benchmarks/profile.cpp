// Runs the fedpp side of one workload a fixed number of times, for
// profilers that want repeatable work rather than a time budget:
//
//     valgrind --tool=callgrind --toggle-collect='bench::run_iterations*'
//              build-bench/benchmarks/fedpp_profile tutorial 20
//     heaptrack build-bench/benchmarks/fedpp_profile mlp_64_64_10_b10 1000
//
// The iteration is the very callable fedpp_benchmarks times (twins.hpp).
// One untimed call first takes one-off costs (the problem's construction,
// function-local statics) out of the collected part.
#include "twins.hpp"
#include "workloads.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>

namespace bench {

[[gnu::noinline]] void run_iterations(const std::function<void()>& iteration, long count) {
    for (long i = 0; i < count; ++i) {
        iteration();
    }
}

} // namespace bench

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s WORKLOAD COUNT\nworkloads:", argv[0]);
        for (const bench::Workload workload : bench::all_workloads) {
            std::fprintf(stderr, " %.*s", static_cast<int>(bench::key(workload).size()), bench::key(workload).data());
        }
        std::fprintf(stderr, "\n");
        return 2;
    }
    const std::string_view wanted = argv[1];
    const long count = std::strtol(argv[2], nullptr, 10);
    for (const bench::Workload workload : bench::all_workloads) {
        if (bench::key(workload) == wanted) {
            const std::function<void()> iteration = bench::fedpp_side::iteration(workload);
            iteration();
            bench::run_iterations(iteration, count);
            return 0;
        }
    }
    std::fprintf(stderr, "unknown workload '%s'\n", argv[1]);
    return 2;
}
