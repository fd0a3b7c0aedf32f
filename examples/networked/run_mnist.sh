#!/usr/bin/env bash
# The FedAvg paper's MNIST 2NN with 10 client processes (each loading its own
# shard), an aggregator process and the model owner, on 127.0.0.1. Options
# after the program go to the model owner (and --clients, --partition,
# --seed, --data and --aggregation to the other parties too; --mask-* to
# the clients alone: each one's floor on the noise of what it masks).
#
#     bash examples/networked/run_mnist.sh                      # builds, then runs to 97%
#     bash examples/networked/run_mnist.sh PROGRAM --rounds 5   # an already built networked_mnist
#     bash examples/networked/run_mnist.sh --aggregation secure # a sum-only aggregator
#     bash examples/networked/run_mnist.sh --aggregation secure --dp-noise 1 --dp-clip 1 --rounds 3 \
#         --mask-clip-norm 1 --mask-min-noise 0.9  # distributed DP, each client enforcing its floor
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
program=""
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
    program="$1"
    shift
fi
source "$root/examples/networked/parties.sh"
[ -n "$program" ] || program="$(build_example "$root" networked_mnist)"
clients=10
shared=()      # to every party
client_only=() # a data owner's floor on what it masks: to the clients alone
owner=()       # to the model owner
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    arg="${args[$i]}"
    case "$arg" in
        --clients|--partition|--seed|--data|--aggregation|--mask-clip-norm|--mask-min-noise|--mask-min-own-noise)
            if ((i + 1 >= ${#args[@]})); then
                echo "$0: $arg needs a value" >&2
                exit 2
            fi
            value="${args[$((i + 1))]}" ;;
    esac
    case "$arg" in
        --clients) clients="$value"; shared+=(--clients "$clients") ;;
        --partition|--seed|--data|--aggregation) shared+=("$arg" "$value") ;;
        --mask-clip-norm|--mask-min-noise|--mask-min-own-noise)
            client_only+=("$arg" "$value")
            i=$((i + 1))
            continue ;;
    esac
    owner+=("$arg")
done
certificates="$PARTIES_DIR/certificates"
names=(me aggregator)
for ((k = 0; k < clients; k++)); do names+=("client-$k"); done
bash "$root/scripts/make_certificates.sh" "$certificates" "${names[@]}"

secure=false
if [[ " ${shared[*]} " == *" --aggregation secure "* ]]; then
    secure=true
fi
if $secure; then
    # A sum-only aggregator sends the protocol's messages to the clients, so
    # it starts knowing where they are; until they are up, a plain one holds
    # its port (the clients reach it only once the run starts).
    start_party aggregator "$program" --certificates "$certificates" --clients "$clients"
else
    start_party aggregator "$program" --certificates "$certificates" "${shared[@]}"
fi
peers="aggregator=127.0.0.1:${PORT_OF[aggregator]}"
for ((k = 0; k < clients; k++)); do # each loads its shard: all at once
    launch_party "client-$k" "$program" --certificates "$certificates" --trust aggregator \
        --peers "aggregator=127.0.0.1:${PORT_OF[aggregator]}" "${shared[@]}" "${client_only[@]}"
done
client_peers=""
for ((k = 0; k < clients; k++)); do
    await_party "client-$k"
    client_peers="$client_peers${client_peers:+,}client-$k=127.0.0.1:${PORT_OF[client-$k]}"
done
peers="$peers,$client_peers"
if $secure; then
    restart_party aggregator "$program" --certificates "$certificates" --peers "$client_peers" "${shared[@]}"
fi
"$program" --party me --certificates "$certificates" --peers "$peers" "${owner[@]}"
