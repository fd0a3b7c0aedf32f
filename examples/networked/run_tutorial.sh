#!/usr/bin/env bash
# PySyft's model-averaging tutorial with every party a process of its own,
# on 127.0.0.1: makes the federation's certificates, starts secure_worker,
# bob and alice (each serving over gRPC with mutual TLS), runs the model
# owner, and stops them. The model owner checks that its result is bitwise
# the in-process run's.
#
#     bash examples/networked/run_tutorial.sh              # builds, then runs
#     bash examples/networked/run_tutorial.sh PROGRAM      # runs an already built networked_tutorial
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
program="${1:-}"
source "$root/examples/networked/parties.sh"
[ -n "$program" ] || program="$(build_example "$root" networked_tutorial)"
certificates="$PARTIES_DIR/certificates"
bash "$root/scripts/make_certificates.sh" "$certificates" me bob alice secure_worker

start_party secure_worker "$program" --certificates "$certificates"
aggregator="secure_worker=127.0.0.1:${PORT_OF[secure_worker]}"
start_party bob "$program" --certificates "$certificates" --trust secure_worker --peers "$aggregator"
start_party alice "$program" --certificates "$certificates" --trust secure_worker --peers "$aggregator"
"$program" --party me --certificates "$certificates" \
    --peers "bob=127.0.0.1:${PORT_OF[bob]},alice=127.0.0.1:${PORT_OF[alice]},$aggregator"
