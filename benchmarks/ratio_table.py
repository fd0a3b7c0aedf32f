#!/usr/bin/python3
"""Turns one run of fedpp_benchmarks (Google Benchmark JSON), plus the
plain-PyTorch tutorial timing and the build timing of the same script run,
into a Markdown table of libtorch/fedpp ratios against each workload's goal.

    /usr/bin/python3 benchmarks/ratio_table.py --benchmarks RESULTS.json \\
        [--eigen-only-benchmarks RESULTS_EIGEN.json] [--pytorch PYTORCH.json] [--build-time HYPERFINE.json] \\
        [--million-clients MILLION.json] [--network NETWORK.json --network-pytorch PYTORCH.json] \\
        [--networked-mnist NETWORKED_MNIST.json]

The last four are workloads 9-12, each from a program of its own
(fedpp_million_clients, benchmarks/network.sh, benchmarks/networked_mnist.sh);
their baselines are fedpp in process, bare gRPC and plain TCP, not libtorch,
and each ratio is between runs alternated in the same process or script.
Without --benchmarks only their rows are printed.

RESULTS_EIGEN.json is a run of the same binary built with FEDPP_USE_BLAS=OFF
(every matrix product by Eigen's kernel; the default build hands the large
ones to OpenBLAS), for the SGD-step workloads; its ratios fill their own
column.

Python 3 standard library only. A ratio is libtorch time / fedpp time, so
higher is better for fedpp; it is only computed between results of the same
run, and never for a workload whose twins disagreed (the benchmark was then
skipped with an error, which the table shows instead).

Times are the median of the run's repetitions when it has them
(--benchmark_repetitions), otherwise the single result; wall-clock time.
"""
import argparse
import re
import json
import statistics
import sys
from dataclasses import dataclass
from typing import Optional

TO_NANOSECONDS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


@dataclass
class Goal:
    key: str          # the benchmark name prefix: "<key>/fedpp", "<key>/libtorch"
    title: str
    kind: str         # "ratio", "bandwidth", "speedup", "overhead" or "build_time"
    threshold: Optional[float]  # ratio >= threshold; bandwidth >= threshold x triad; 2-thread speed-up >=
                                # threshold (None: reported, no goal); one-thread round / bare
                                # training <= threshold; build time < threshold s
    flops_notes: bool = False   # GFLOP/s of both twins and the FMA peak in the notes


# The goals of the benchmark issues, one per workload (see benchmarks/NOTES.md):
# no workload slower than libtorch (issue 16), more where an issue asked more.
GOALS = [
    Goal("tutorial", "1. Model-averaging tutorial loop: 2 workers, 10 rounds x 5 local steps, Linear(2,1), "
         "with sending, moving and averaging", "ratio", 80),
    Goal("mlp_64_64_10_b10", "2. One SGD step, MLP 64-64-10 (ReLU), batch 10, cross-entropy", "ratio", 5),
    Goal("mnist_2nn_b10", "3. One SGD step, MNIST 2NN 784-200-200-10, batch 10", "ratio", 1.5),
    Goal("mnist_2nn_b256", "4a. One SGD step, MNIST 2NN 784-200-200-10, batch 256", "ratio", 1.0, True),
    Goal("mlp_1024_1024_10_b256", "4b. One SGD step, MLP 1024-1024-10, batch 256", "ratio", 1.0, True),
    Goal("fedavg_100x1m", "5. Weighted FedAvg of 100 models x 1.01M float parameters at a trusted worker",
         "bandwidth", 0.8),
    Goal("federated_round", "6. One federated round, digits, 1,000 clients, C = 1, E = 1, B = 10, MLP 64-64-10 "
         "(fedpp, 1 vs 2 threads)", "speedup", 1.8),
    Goal("federated_round", "6b. The same round's federation overhead: the round on one thread against the same "
         "clients' local training alone", "overhead", 1.15),
    Goal("build", "7. Build of examples/model_averaging.cpp from scratch (CMake's compile command)",
         "build_time", 8),
    Goal("mnist_cnn_b10", "14a. One SGD step, the FedAvg paper's MNIST CNN (2 conv 5x5, 1,663,370 parameters), "
         "batch 10", "ratio", 1.0, True),
    Goal("mnist_cnn_b64", "14b. One SGD step, the FedAvg paper's MNIST CNN, batch 64", "ratio", 1.0, True),
    Goal("cnn_round", "15. One federated round, MNIST CNN, 10 clients x 600 images, E = 5, B = 10, then the "
         "10,000 test images (fedpp, 1 vs 2 threads)", "speedup", None),
]


@dataclass
class Result:
    nanoseconds: Optional[float] = None
    error: Optional[str] = None
    counters: Optional[dict] = None


def load_results(path):
    """{run name without '/real_time': Result}, medians where repeated."""
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    runs = {}
    for entry in document["benchmarks"]:
        # "<key>/fedpp/threads:2/iterations:1/repeats:3/real_time": the
        # fixed iteration and repetition counts a workload may set are not
        # part of its name here.
        name = re.sub(r"/(iterations|repeats):\d+", "", entry["run_name"].removesuffix("/real_time"))
        if entry.get("error_occurred"):
            runs.setdefault(name, {"error": entry.get("error_message", "error")})
            continue
        aggregate = entry.get("aggregate_name")
        if entry.get("run_type") == "aggregate" and aggregate != "median":
            continue
        # A median replaces single iterations; single iterations are
        # collected in case the run had no aggregates.
        slot = runs.setdefault(name, {"iterations": []})
        if "error" in slot:
            continue
        if aggregate == "median":
            slot["median"] = entry
        else:
            slot["iterations"].append(entry)
    results = {}
    for name, slot in runs.items():
        if "error" in slot:
            results[name] = Result(error=slot["error"])
            continue
        entries = [slot["median"]] if "median" in slot else slot["iterations"]
        scale = TO_NANOSECONDS[entries[0]["time_unit"]]
        nanoseconds = statistics.median(e["real_time"] * scale for e in entries)
        counters = {}
        for key in ("FLOPS", "bytes_per_second", "peak_rss_growth_bytes", "model_bytes", "twin_tolerance_used",
                    "clients"):
            values = [e[key] for e in entries if key in e]
            if values:
                counters[key] = statistics.median(values)
        results[name] = Result(nanoseconds=nanoseconds, counters=counters)
    return document["context"], results


def format_time(nanoseconds):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if nanoseconds >= scale:
            return f"{nanoseconds / scale:.3g} {unit}"
    return f"{nanoseconds:.3g} ns"


def format_ratio(ratio):
    return f"{ratio:.3g}×"


def cell(result):
    if result is None:
        return "—"
    if result.error:
        return "skipped: " + result.error.replace("|", "\\|")
    return format_time(result.nanoseconds)


def same_run_ratio(results, key):
    """libtorch / fedpp for `key` within one run, or None."""
    if results is None:
        return None
    fedpp = results.get(key + "/fedpp")
    libtorch = results.get(key + "/libtorch")
    if fedpp and libtorch and not fedpp.error and not libtorch.error:
        return libtorch.nanoseconds / fedpp.nanoseconds
    return None


def eigen_only_cell(goal, eigen_only_results):
    """The Eigen-only column (FEDPP_USE_BLAS=OFF): fedpp's time and the ratio of that run."""
    if eigen_only_results is None or goal.key + "/fedpp" not in eigen_only_results:
        return ""
    fedpp = eigen_only_results[goal.key + "/fedpp"]
    if fedpp.error:
        return cell(fedpp)
    ratio = same_run_ratio(eigen_only_results, goal.key)
    return f"{format_ratio(ratio)} ({format_time(fedpp.nanoseconds)})" if ratio is not None else cell(fedpp)


def ratio_row(goal, results, pytorch, peaks, eigen_only_results):
    fedpp = results.get(goal.key + "/fedpp")
    libtorch = results.get(goal.key + "/libtorch")
    ratio = same_run_ratio(results, goal.key)
    python_cell = ""
    if goal.key == "tutorial":
        python_cell = "—"
        if pytorch and fedpp and not fedpp.error:
            if "error" in pytorch:
                python_cell = "skipped: " + pytorch["error"]
            else:
                python_cell = f"{format_ratio(pytorch['real_time_ns'] / fedpp.nanoseconds)} " \
                              f"({format_time(pytorch['real_time_ns'])})"
    notes = []
    if fedpp is None:
        met = "not run"
    elif libtorch is None:
        met = "n/a (no libtorch in this build)"
    elif fedpp.error or libtorch.error:
        met = "no ratio (check failed)"
    else:
        met = "no"
    if goal.kind == "ratio":
        goal_text = f"≥ {goal.threshold:g}×"
        if ratio is not None:
            met = "yes" if ratio >= goal.threshold else "no"
        eigen_only_ratio = same_run_ratio(eigen_only_results, goal.key)
        if eigen_only_ratio is not None:
            met += f" ({'yes' if eigen_only_ratio >= goal.threshold else 'no'} Eigen only)"
        for side, result in (("fedpp", fedpp), ("libtorch", libtorch)):
            if result and result.counters and "FLOPS" in result.counters and goal.flops_notes:
                notes.append(f"{side} {result.counters['FLOPS'] / 1e9:.1f} GFLOP/s")
        if notes and peaks.get("fma_peak"):
            notes.append(f"FMA peak {peaks['fma_peak'] / 1e9:.1f} GFLOP/s")
    else:  # bandwidth
        goal_text = f"≥ {goal.threshold:.0%} of STREAM triad GB/s and ≥ libtorch's, ≤ 1 model of extra memory"
        triad = peaks.get("stream_triad")
        if fedpp and not fedpp.error and fedpp.counters:
            bandwidth = fedpp.counters["bytes_per_second"]
            growth = fedpp.counters.get("peak_rss_growth_bytes", -1)
            model = fedpp.counters.get("model_bytes", 0)
            fraction = bandwidth / triad if triad else None
            notes.append(f"fedpp {bandwidth / 1e9:.2f} GB/s" +
                         (f" = {fraction:.0%} of triad {triad / 1e9:.2f} GB/s" if fraction else ""))
            notes.append(f"peak RSS +{growth / 2**20:.1f} MiB = {growth / model:.2f} model" if growth >= 0 and model
                         else "peak RSS not measurable here")
            # Page granularity and the allocator's bookkeeping: 10% slack.
            memory_ok = 0 <= growth <= 1.1 * model
            met = "yes" if fraction is not None and fraction >= goal.threshold and memory_ok and \
                (ratio is None or ratio >= 1) else "no"
        if libtorch and not libtorch.error and libtorch.counters:
            notes.append(f"libtorch {libtorch.counters['bytes_per_second'] / 1e9:.2f} GB/s, peak RSS "
                         f"+{libtorch.counters.get('peak_rss_growth_bytes', 0) / 2**20:.1f} MiB")
    if fedpp and fedpp.counters and "twin_tolerance_used" in fedpp.counters:
        notes.append(f"largest twin difference {fedpp.counters['twin_tolerance_used']:.1%} of the tolerance")
    eigen_only_fedpp = (eigen_only_results or {}).get(goal.key + "/fedpp")
    if eigen_only_fedpp and eigen_only_fedpp.counters and "FLOPS" in eigen_only_fedpp.counters and goal.flops_notes:
        notes.append(f"fedpp Eigen only {eigen_only_fedpp.counters['FLOPS'] / 1e9:.1f} GFLOP/s")
    return [goal.title, cell(fedpp), cell(libtorch), format_ratio(ratio) if ratio is not None else "—",
            eigen_only_cell(goal, eigen_only_results), python_cell, goal_text, met, "; ".join(notes)]


def speedup_row(goal, results):
    """Workload 6: fedpp against itself, one thread against two."""
    one = results.get(goal.key + "/fedpp/threads:1")
    two = results.get(goal.key + "/fedpp/threads:2")
    goal_text = f"≥ {goal.threshold:g}× from the 2nd thread" if goal.threshold else "— (reported)"
    if one is None or two is None:
        return [goal.title, "not run", "", "", "", "", goal_text, "—", ""]
    if one.error or two.error:
        return [goal.title, cell(one), "", "", "", "", goal_text, "no (check failed)", ""]
    speedup = one.nanoseconds / two.nanoseconds
    clients = (one.counters or {}).get("clients", 0)
    notes = [f"2 threads: {format_time(two.nanoseconds)} per round",
             f"speed-up {speedup:.2f}×"]
    if clients:
        def rate(nanoseconds):
            per_second = clients / nanoseconds * 1e9
            return f"{per_second:,.0f}" if per_second >= 100 else f"{per_second:.2g}"
        notes.append(f"client updates/s: {rate(one.nanoseconds)} (1 thread), {rate(two.nanoseconds)} (2 threads)")
    bare_one = results.get(goal.key + "/bare_training/threads:1")
    bare_two = results.get(goal.key + "/bare_training/threads:2")
    if bare_one and bare_two and not bare_one.error and not bare_two.error:
        notes.append(f"yardstick: the same clients' local training alone (no workers, transfers or aggregation) "
                     f"speeds up {bare_one.nanoseconds / bare_two.nanoseconds:.2f}× "
                     f"({format_time(bare_one.nanoseconds)} → {format_time(bare_two.nanoseconds)})")
    notes.append("1- and 2-thread rounds checked bitwise identical; no libtorch twin (libtorch has no federated "
                 "driver)")
    met = "—" if goal.threshold is None else "yes" if speedup >= goal.threshold else "no"
    return [goal.title, f"{format_time(one.nanoseconds)} (1 thread)", "—", "—", "", "", goal_text, met,
            "; ".join(notes)]


def overhead_row(goal, results):
    """Workload 6b: the federated round on one thread against the same
    clients' local training alone (no workers, transfers or aggregation)."""
    round_one = results.get(goal.key + "/fedpp/threads:1")
    bare_one = results.get(goal.key + "/bare_training/threads:1")
    goal_text = f"≤ {goal.threshold:g}× the training alone"
    if round_one is None or bare_one is None or round_one.error or bare_one.error:
        return [goal.title, "not run" if round_one is None else cell(round_one), "", "", "", "", goal_text, "—", ""]
    overhead = round_one.nanoseconds / bare_one.nanoseconds
    return [goal.title, f"{format_time(round_one.nanoseconds)} (1 thread)", "—", "—", "", "", goal_text,
            "yes" if overhead <= goal.threshold else "no",
            f"training alone {format_time(bare_one.nanoseconds)}: the round takes {overhead:.2f}× that"]


def build_row(goal, build_time):
    if not build_time:
        return [goal.title, "not measured", "", "", "", "", f"< {goal.threshold:g} s", "—", ""]
    results = build_time["results"]
    times = results[0]["times"]
    median = statistics.median(times)
    notes = f"median of {len(times)} compiles, min {min(times):.1f} s, max {max(times):.1f} s"
    if len(results) == 4:
        # scripts/run_benchmarks.sh: the example as CMake compiles it (linked
        # to fedpp::compiled), the same header-only, and the library's two
        # files (float, double), compiled once.
        library = [statistics.median(r["times"]) for r in results[2:]]
        notes = (f"linked to fedpp::compiled; {notes}; header-only (without FEDPP_COMPILED) "
                 f"{statistics.median(results[1]['times']):.1f} s; fedpp::compiled itself, compiled once: "
                 f"{library[0]:.1f} s + {library[1]:.1f} s (float, double; in parallel on two cores)")
    return [goal.title, f"{median:.1f} s", "", "", "", "", f"< {goal.threshold:g} s",
            "yes" if median < goal.threshold else "no", notes]


def load_json(path):
    if not path:
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def row(title, fedpp, python_cell, goal, met, notes):
    return [title, fedpp, "—", "—", "", python_cell, goal, met, "; ".join(notes)]


def million_rows(m):
    """Workload 9: set-up of a million clients, and a round among them."""
    gib = m["setup_peak_rss_growth_bytes"] / 2**30
    setup_met = m["setup_seconds"] < 5 and gib < 1
    rows = [row(f"9a. Set-up of {m['clients']:,} clients on the MNIST training set (partition, client data sets, "
                "driver: a worker per client, its data sent once)",
                f"{m['setup_seconds']:.1f} s, +{gib:.2f} GiB", "", "< 5 s and < 1 GiB peak memory",
                "yes" if setup_met else "no",
                [*([f"CPU time {m['setup_cpu_seconds']:.2f} s"] if "setup_cpu_seconds" in m else []),
                 f"peak RSS +{gib:.2f} GiB over the loaded data set (process peak "
                 f"{m['process_peak_rss_bytes'] / 2**30:.2f} GiB)",
                 f"{m['eligible']:,} clients hold one example, the others none"])]
    large = statistics.median(m["large_round_seconds"])
    small = statistics.median(m["small_round_seconds"])
    ratio = large / small
    rows.append(row(f"9b. One round selecting 100 of the {m['clients']:,} clients (C = 0.0001, min_clients = 100) "
                    "against a federation of 100 clients in total, the same one-example data, E = 1, B = 10, 2NN",
                    format_time(large * 1e9), "", "≤ 1.1× the 100-client round", "yes" if ratio <= 1.1 else "no",
                    [f"100-client federation {format_time(small * 1e9)}; ratio {ratio:.2f}× "
                     f"(medians of {len(m['large_round_seconds'])} alternating rounds, 1 thread, "
                     "1,000-example test set)"]))
    return rows


def network_rows(n, pytorch):
    """Workloads 10 and 11: the tutorial over gRPC, and moving models."""
    t = n["tutorial"]
    python_cell = ""
    if pytorch:
        python_cell = "skipped: " + pytorch["error"] if "error" in pytorch else \
            f"{format_ratio(pytorch['real_time_ns'] / (t['networked_seconds'] * 1e9))} " \
            f"({format_time(pytorch['real_time_ns'])})"
    rows = [row("10. The tutorial loop (1.) over the network: bob, alice, secure_worker as processes on 127.0.0.1, "
                "gRPC with mutual TLS", format_time(t["networked_seconds"] * 1e9), python_cell,
                "none set (issue 12: measure)", "—",
                [f"the same loop in process {format_time(t['in_process_seconds'] * 1e9)} "
                 f"({t['networked_seconds'] / t['in_process_seconds']:.0f}× faster)",
                 f"medians of {t['runs']} alternating runs",
                 "bitwise identical to in process: " + ("yes" if t["bitwise_identical"] else "NO")])]
    for transfer, label in zip(n["transfers"], ("11a", "11b")):
        size = transfer["bytes"]
        fedpp, bare, tcp = (statistics.median(transfer[k]) for k in ("fedpp_seconds", "bare_grpc_seconds",
                                                                       "tcp_seconds"))
        ratio = bare / fedpp
        rows.append(row(f"{label}. Moving a model of {transfer['parameters'] / 1e6:.3g} M float32 parameters to "
                        "another process (send to a party: gRPC, mutual TLS, 1 MiB chunks)",
                        f"{format_time(fedpp * 1e9)} ({size / fedpp / 1e6:,.0f} MB/s)", "",
                        "≥ 0.9× bare gRPC's throughput", "yes" if ratio >= 0.9 else "no",
                        [f"fedpp / bare gRPC throughput {ratio:.2f}×",
                         f"bare gRPC stream of the same bytes {format_time(bare * 1e9)} ({size / bare / 1e6:,.0f} MB/s)",
                         f"plain loopback TCP {format_time(tcp * 1e9)} ({size / tcp / 1e6:,.0f} MB/s)",
                         *([f"to_bytes alone (which send() no longer calls) {format_time(statistics.median(transfer['to_bytes_seconds']) * 1e9)}"]
                           if "to_bytes_seconds" in transfer else []),
                         f"medians of {len(transfer['fedpp_seconds'])} alternating transfers"]))
    return rows


def networked_mnist_row(m):
    """Workload 12: an MNIST round with client processes against in process."""
    title = "12. One MNIST 2NN round, 10 clients as processes on 127.0.0.1 (C = 1, E = 1, B = 10) against in process"
    if "error" in m:
        return row(title, "skipped: " + m["error"], "", "≤ 1.15× the in-process round", "—", [])
    networked = statistics.median(m["networked_round_seconds"])
    in_process = statistics.median(m["in_process_round_seconds"])
    ratio = networked / in_process
    return row(title, format_time(networked * 1e9), "", "≤ 1.15× the in-process round",
               "yes" if ratio <= 1.15 else "no",
               [f"in process {format_time(in_process * 1e9)}; ratio {ratio:.2f}×",
                f"medians of {len(m['networked_round_seconds'])} rounds each, {m['pairs']} alternating runs"])


def scale_and_network_rows(args):
    rows = []
    million = load_json(args.million_clients)
    if million:
        rows += million_rows(million)
    network = load_json(args.network)
    if network:
        rows += network_rows(network, load_json(args.network_pytorch))
    networked_mnist = load_json(args.networked_mnist)
    if networked_mnist:
        rows.append(networked_mnist_row(networked_mnist))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmarks", help="fedpp_benchmarks --benchmark_out JSON (workloads 1-6)")
    parser.add_argument("--million-clients", help="fedpp_million_clients --out JSON (workload 9)")
    parser.add_argument("--network", help="fedpp_network_benchmarks --out JSON (workloads 10, 11)")
    parser.add_argument("--network-pytorch", help="pytorch_tutorial.py output for workload 9's context")
    parser.add_argument("--networked-mnist", help="benchmarks/networked_mnist.sh output JSON (workload 12)")
    parser.add_argument("--eigen-only-benchmarks", help="the same benchmarks built with FEDPP_USE_BLAS=OFF")
    parser.add_argument("--pytorch", help="pytorch_tutorial.py output JSON")
    parser.add_argument("--build-time", help="hyperfine --export-json output for the example's compile")
    args = parser.parse_args()

    context, results = load_results(args.benchmarks) if args.benchmarks else ({}, {})
    eigen_only_results = load_results(args.eigen_only_benchmarks)[1] if args.eigen_only_benchmarks else None
    pytorch = None
    if args.pytorch:
        with open(args.pytorch, encoding="utf-8") as f:
            pytorch = json.load(f)
    build_time = None
    if args.build_time:
        with open(args.build_time, encoding="utf-8") as f:
            build_time = json.load(f)
    peaks = {}
    if results.get("fma_peak") and results["fma_peak"].counters:
        peaks["fma_peak"] = results["fma_peak"].counters.get("FLOPS")
    if results.get("stream_triad") and results["stream_triad"].counters:
        peaks["stream_triad"] = results["stream_triad"].counters.get("bytes_per_second")

    header = ["Workload", "fedpp", "libtorch", "libtorch / fedpp", "Eigen only (FEDPP_USE_BLAS=OFF): libtorch / fedpp",
              "PyTorch (Python) / fedpp", "Goal", "Met", "Notes"]
    rows = []
    for goal in GOALS if args.benchmarks else []:
        if goal.kind == "speedup":
            rows.append(speedup_row(goal, results))
        elif goal.kind == "overhead":
            rows.append(overhead_row(goal, results))
        elif goal.kind == "build_time":
            rows.append(build_row(goal, build_time))
        else:
            rows.append(ratio_row(goal, results, pytorch, peaks, eigen_only_results))

    rows += scale_and_network_rows(args)
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    if not args.benchmarks:
        return 0
    load = ", ".join(f"{x:.2f}" for x in context.get("load_avg", []))
    caches = ", ".join(f"L{c['level']}{'d' if c['type'] == 'Data' else ''} {c['size'] // 1024:,} KiB"
                       for c in context.get("caches", []) if c.get("type") in ("Data", "Unified"))
    print(f"Machine: {context.get('cpu_model', '?')}, {context.get('num_cpus', '?')} logical CPUs"
          f"{' (' + caches + ')' if caches else ''}; "
          f"{context.get('compiler', '?')} ({context.get('compile_flags', '?')}); {context.get('fedpp', '')}; "
          f"{context.get('libtorch', '')}.")
    if pytorch and "torch_version" in pytorch:
        print(f"PyTorch (Python): torch {pytorch['torch_version']}, Python {pytorch['python_version']}, "
              f"{pytorch['threads']} thread.")
    print(f"Run {context.get('date', '?')}; load average at start {load or '?'} "
          "(on a busy machine the times are noisy; ratios within one run are less so).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
