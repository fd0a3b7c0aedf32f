#!/usr/bin/env bash
# Workload 12 (issue 12): one MNIST 2NN round (10 clients, C = 1, E = 1,
# B = 10, lr 0.1, IID) with every client a process of its own on 127.0.0.1
# (examples/networked/run_mnist.sh: 10 client processes, an aggregator
# process, the model owner; gRPC with mutual TLS) against the same round in
# one process (mnist_fedavg --clients 10 --fraction 1 --threads 10). Both
# train the 10 clients at once: 10 processes against 10 threads of one
# process, so that a machine shared with other work (whose scheduler shares
# the cores out by thread) gives both sides the same share; on an idle
# machine 10 threads on 2 cores cost about what 2 do. The two alternate, PAIRS times each, ROUNDS
# rounds a run; the per-round times of all runs of a kind give its median.
#
#     bash benchmarks/networked_mnist.sh BUILD_DIR OUTPUT_JSON [PAIRS] [ROUNDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$1"
output="$2"
pairs="${3:-2}"
rounds="${4:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
common=(--epochs 1 --batch 10 --lr 0.1 --rounds "$rounds" --target 1 --partition iid --seed 1)
for ((p = 0; p < pairs; p++)); do
    "$build/examples/mnist_fedavg" --clients 10 --fraction 1 --threads 10 "${common[@]}" --csv "$work/in_process_$p.csv" >/dev/null || true
    bash "$root/examples/networked/run_mnist.sh" "$build/examples/networked/networked_mnist" --clients 10 \
        --fraction 1 "${common[@]}" --csv "$work/networked_$p.csv" >/dev/null || true
done
/usr/bin/python3 - "$work" "$output" "$pairs" <<'PY'
import csv, glob, json, os, statistics, sys
work, output, pairs = sys.argv[1], sys.argv[2], int(sys.argv[3])
result = {"name": "networked_mnist_round", "pairs": pairs, "load_avg": list(os.getloadavg())}
for kind in ("in_process", "networked"):
    times, accuracies = [], []
    for path in sorted(glob.glob(f"{work}/{kind}_*.csv")):
        rows = list(csv.DictReader(open(path)))
        times += [float(r["round_seconds"]) for r in rows]
        accuracies.append([float(r["test_accuracy"]) for r in rows])
    result[kind + "_round_seconds"] = times
    result[kind + "_test_accuracy"] = accuracies
    if not times:
        result["error"] = f"no {kind} rounds ran"
if "error" not in result:
    result["ratio"] = statistics.median(result["networked_round_seconds"]) / \
        statistics.median(result["in_process_round_seconds"])
json.dump(result, open(output, "w"), indent=2)
print(json.dumps({k: v for k, v in result.items() if not k.endswith("accuracy")}))
PY
