# Sourced by the networked examples' scripts: starting parties on
# 127.0.0.1, each on a free port it reports in a file, and stopping them all
# when the script ends.
#
#     start_party NAME PROGRAM ARGS...   # in the background; PORT_OF[NAME] once it listens
#     launch_party NAME PROGRAM ARGS...; await_party NAME   # the same, in two steps
#     stop_party NAME [SIGNAL]
#     restart_party NAME PROGRAM ARGS...   # stopped, started again at its port

declare -A PID_OF=()
declare -A PORT_OF=()
PARTIES_DIR="$(mktemp -d)"

stop_all_parties() {
    local name
    for name in "${!PID_OF[@]}"; do
        kill "${PID_OF[$name]}" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$PARTIES_DIR"
}
trap stop_all_parties EXIT

# launch_party NAME PROGRAM ARGS...: starts it in the background.
launch_party() {
    local name="$1" program="$2"
    shift 2
    rm -f "$PARTIES_DIR/$name.port"
    "$program" --party "$name" --port-file "$PARTIES_DIR/$name.port" "$@" 2>>"$PARTIES_DIR/$name.log" &
    PID_OF[$name]=$!
}

# start_party NAME PROGRAM ARGS...: launches it and waits until it listens.
start_party() {
    launch_party "$@"
    await_party "$1"
}

# await_party NAME: waits (up to 60 s) until it listens; PORT_OF[NAME].
await_party() {
    local name="$1"
    local tries=0
    until [ -s "$PARTIES_DIR/$name.port" ]; do
        if ! kill -0 "${PID_OF[$name]}" 2>/dev/null; then
            echo "party '$name' did not start:" >&2
            cat "$PARTIES_DIR/$name.log" >&2
            return 1
        fi
        tries=$((tries + 1))
        if [ "$tries" -gt 600 ]; then
            echo "party '$name' did not listen within 60 s" >&2
            return 1
        fi
        sleep 0.1
    done
    PORT_OF[$name]="$(cat "$PARTIES_DIR/$name.port")"
}

# stop_party NAME [SIGNAL]: SIGTERM by default; SIGKILL to make it crash.
stop_party() {
    local name="$1" signal="${2:-TERM}"
    kill "-$signal" "${PID_OF[$name]}" 2>/dev/null || true
    wait "${PID_OF[$name]}" 2>/dev/null || true
    unset "PID_OF[$name]"
}

# restart_party NAME PROGRAM ARGS...: stops it and starts it again, with
# ARGS, listening at the port it had (e.g. a sum-only aggregator, which must
# know the clients, in place of one that held the port until they were up).
restart_party() {
    local name="$1" program="$2"
    shift 2
    local port="${PORT_OF[$name]:?party '$name' has no port to be restarted at}"
    stop_party "$name"
    start_party "$name" "$program" --listen "127.0.0.1:$port" "$@"
}

# build_example ROOT TARGET: builds the networked example TARGET in ROOT/build
# (installing the Debian packages it needs, as root) and prints its path.
build_example() {
    local root="$1" target="$2"
    source "$root/scripts/dependencies.sh"
    require_debian_packages cmake g++ make libeigen3-dev zlib1g-dev nlohmann-json3-dev libssl-dev \
                            libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler openssl >&2 || return 1
    cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_TESTS=OFF -DFEDPP_BUILD_EXAMPLES=ON \
          -DFEDPP_GRPC=ON >/dev/null ||
        return 1
    cmake --build "$root/build" --target "$target" -j "$(nproc)" >&2 || return 1
    echo "$root/build/examples/networked/$target"
}

# The log of what party NAME refused (and its start-up lines).
party_log() { cat "$PARTIES_DIR/$1.log"; }
