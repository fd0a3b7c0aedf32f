// fedpp's benchmarks, side by side with libtorch: one binary registers the
// fedpp version of every workload and, when built with libtorch, its twin,
// so that one run measures both and their ratio compares like with like.
//
//     bash scripts/run_benchmarks.sh     # builds, runs, prints the ratio table
//
// Every workload first checks that the two twins compute the same result
// from the same inputs (twin_check); if they do not, both benchmarks are
// skipped with the difference as the error, and no ratio is reported.
#include "federated_round.hpp"
#include "hex_floats.hpp"
#include "kernels.hpp"
#include "memory.hpp"
#include "twins.hpp"
#include "workloads.hpp"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

using bench::Workload;

using Iteration = std::function<void()> (*)(Workload);

/// Counters that put a workload's time in context: GFLOP/s of the matrix
/// products for the MLP and CNN steps; for FedAvg the bytes it must move at least
/// (every input read once, the result written once) and by how much one
/// average raises the peak resident memory.
void add_counters(Workload workload, benchmark::State& state, const std::function<void()>& iteration) {
    if (workload == Workload::tutorial) {
        return;
    }
    if (workload == Workload::fedavg_100x1m) {
        const double model_bytes = static_cast<double>(bench::fedavg_parameter_count() * sizeof(float));
        state.counters["model_bytes"] = model_bytes;
        state.counters["peak_rss_growth_bytes"] = bench::peak_rss_growth(iteration);
        state.SetBytesProcessed(state.iterations() *
                                static_cast<std::int64_t>(model_bytes * (bench::fedavg_model_count + 1)));
        return;
    }
    const double flops = bench::is_cnn(workload) ? bench::cnn_problem(workload).matmul_flops_per_step()
                                                 : bench::mlp_problem(workload).matmul_flops_per_step();
    state.counters["FLOPS"] = benchmark::Counter(flops,
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

void register_side(Workload workload, const char* side, Iteration make_iteration) {
    const std::string name = std::string(bench::key(workload)) + "/" + side;
    auto* benchmark = benchmark::RegisterBenchmark(name.c_str(), [workload, make_iteration](benchmark::State& state) {
        const bench::TwinCheck& check = bench::twin_check(workload);
        if (!check.mismatch.empty()) {
            state.SkipWithError(check.mismatch.c_str()); // cached: outlives the run
            return;
        }
        const std::function<void()> iteration = make_iteration(workload);
        for (auto _ : state) {
            iteration();
        }
        add_counters(workload, state, iteration);
#if FEDPP_BENCH_WITH_LIBTORCH
        state.counters["twin_tolerance_used"] = check.tolerance_used;
#endif
    });
    // Wall-clock time: what a user waits for (one thread, so CPU time is the
    // same on a quiet machine).
    benchmark->UseRealTime();
    benchmark->Unit(workload == Workload::fedavg_100x1m ? benchmark::kMillisecond : benchmark::kMicrosecond);
}

void register_workload(Workload workload) {
    register_side(workload, "fedpp", bench::fedpp_side::iteration);
#if FEDPP_BENCH_WITH_LIBTORCH
    register_side(workload, "libtorch", bench::libtorch_side::iteration);
#endif
}

/// The CPU's marketing name, vendor, family and model numbers (Google
/// Benchmark records the caches and the core count, not the model; a
/// virtual machine's name may be as plain as "Intel(R) Xeon(R) Processor",
/// and the numbers tell Sapphire Rapids from Ice Lake, or Zen 4 from Zen 3).
std::string cpu_model() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    std::string name = "unknown";
    std::string vendor;
    std::string family;
    std::string model;
    const auto value = [&line] {
        const auto colon = line.find(':');
        const auto first = colon == std::string::npos ? std::string::npos : line.find_first_not_of(' ', colon + 1);
        return first == std::string::npos ? std::string() : line.substr(first);
    };
    while (std::getline(cpuinfo, line) && !line.empty()) { // the first processor's lines
        if (line.rfind("model name", 0) == 0) {
            name = value();
        } else if (line.rfind("vendor_id", 0) == 0) {
            vendor = value();
        } else if (line.rfind("cpu family", 0) == 0) {
            family = value();
        } else if (line.rfind("model\t", 0) == 0 || line.rfind("model ", 0) == 0) {
            model = value();
        }
    }
    return vendor.empty() ? name : name + " (" + vendor + ", family " + family + ", model " + model + ")";
}

/// What the plain-PyTorch tutorial script (pytorch_tutorial.py) needs to
/// start from the same model and to check it computes what fedpp computes.
void add_tutorial_context() {
    const bench::TutorialInit& init = bench::tutorial_init();
    benchmark::AddCustomContext("tutorial_initial_parameters",
                                bench::hex_list({init.weight[0], init.weight[1], init.bias}));
    const bench::Trace trace = bench::fedpp_side::trace(Workload::tutorial);
    benchmark::AddCustomContext("tutorial_fedpp_losses", bench::hex_list(trace.losses));
    benchmark::AddCustomContext("tutorial_fedpp_parameters", bench::hex_list(trace.parameters));
}

} // namespace

int main(int argc, char** argv) {
#if FEDPP_BENCH_WITH_LIBTORCH
    bench::libtorch_side::use_one_thread();
    benchmark::AddCustomContext("libtorch", bench::libtorch_side::describe());
#else
    benchmark::AddCustomContext("libtorch", "not found at build time: fedpp only, no ratios");
#endif
    benchmark::AddCustomContext("fedpp", bench::fedpp_side::describe());
    benchmark::AddCustomContext("cpu_model", cpu_model());
    benchmark::AddCustomContext("compiler", FEDPP_BENCH_COMPILER);
    benchmark::AddCustomContext("compile_flags", FEDPP_BENCH_COMPILE_FLAGS);
    add_tutorial_context();

    // Reference kernels next to the workloads they are the yardstick for.
    bench::register_fma_peak();
    for (const Workload workload : bench::all_workloads) {
        if (workload == Workload::fedavg_100x1m) {
            bench::register_stream_triad();
        }
        register_workload(workload);
    }
    bench::register_federated_round(); // 6: fedpp on 1 and 2 threads
    bench::register_cnn_round();       // 10: the CNN's round, fedpp on 1 and 2 threads

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
