#!/usr/bin/env bash
# Workloads 10 and 11 (issue 12) on 127.0.0.1: starts the tutorial's parties
# (networked_tutorial as bob, alice and secure_worker, each its own process,
# gRPC with mutual TLS), a bare gRPC server and a plain TCP server (both
# fedpp_network_benchmarks), runs fedpp_network_benchmarks as the model
# owner, then times the tutorial in plain PyTorch from the same initial
# weights (pytorch_tutorial.py, which checks it agrees with fedpp first).
#
#     bash benchmarks/network.sh BUILD_DIR RESULTS_DIR [--tutorial-runs N]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$1"
results="$2"
shift 2
mkdir -p "$results"
tutorial="$build/examples/networked/networked_tutorial"
bench="$build/benchmarks/fedpp_network_benchmarks"
source "$root/examples/networked/parties.sh"
certificates="$PARTIES_DIR/certificates"
bash "$root/scripts/make_certificates.sh" "$certificates" me bob alice secure_worker bare >/dev/null 2>&1

start_party secure_worker "$tutorial" --certificates "$certificates"
aggregator="secure_worker=127.0.0.1:${PORT_OF[secure_worker]}"
start_party bob "$tutorial" --certificates "$certificates" --trust secure_worker --peers "$aggregator"
start_party alice "$tutorial" --certificates "$certificates" --trust secure_worker --peers "$aggregator"
start_party bare "$bench" --serve-bare --certificates "$certificates"
start_party tcp "$bench" --serve-tcp
"$bench" --certificates "$certificates" \
    --peers "bob=127.0.0.1:${PORT_OF[bob]},alice=127.0.0.1:${PORT_OF[alice]},$aggregator" \
    --bare "127.0.0.1:${PORT_OF[bare]}" --tcp "127.0.0.1:${PORT_OF[tcp]}" \
    --out "$results/network.json" --context-out "$results/network_tutorial_context.json" "$@"
OMP_NUM_THREADS=1 /usr/bin/python3 "$root/benchmarks/pytorch_tutorial.py" "$results/network_tutorial_context.json" \
    "$results/network_pytorch_tutorial.json"
