#!/usr/bin/env bash
# Runs each federated example (digits_fedavg, mnist_fedavg; networked_mnist's
# data owner options, where it is built) with a table of
# bad flags and checks, for each, the exit status (2 for a bad command line,
# 1 for a failure while running, 0 where the flag is legal) and the message.
# No run may end in a signal or std::terminate ("terminate called ...").
#
#     bash tests/examples/check_bad_flags.sh <directory with the examples>
set -uo pipefail
bin="${1:?usage: check_bad_flags.sh <directory with digits_fedavg and mnist_fedavg>}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/not-a-dir-file" "$scratch/folder.npz" && : > "$scratch/empty.gz" && echo "not gzip" > "$scratch/plain.csv.gz"
# Weights with a NaN in them: digits_fedavg's initial model, its first array's last float32 a NaN.
"$bin/digits_fedavg" --rounds 0 --save-weights "$scratch/zero.npz" > /dev/null
python3 - "$scratch/zero.npz" "$scratch/nan.npz" << 'PY'
import sys, zipfile
source, target = sys.argv[1:3]
with zipfile.ZipFile(source) as read, zipfile.ZipFile(target, "w") as write:
    for i, name in enumerate(read.namelist()):
        data = read.read(name)
        write.writestr(name, data[:-4] + b"\x00\x00\xc0\x7f" if i == 0 else data)
PY
# A small MNIST (the first 500 training and 150 test images of the data set
# in data/mnist): the CNN's case with 0 rounds evaluates the untrained model
# on the test set (in batches of 100: a full one and a partial one here),
# which on all 10,000 images took 195 s under ASan + UBSan.
python3 - "$(dirname "$0")/../../data/mnist" "$scratch/mnist-small" << 'PY'
import gzip, os, struct, sys
source, target = sys.argv[1:3]
os.mkdir(target)
for name, count in (("train", 500), ("t10k", 150)):
    for kind, magic, item in (("images", 0x803, 28 * 28), ("labels", 0x801, 1)):
        file = f"{name}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz"
        header = 16 if kind == "images" else 8
        with gzip.open(os.path.join(source, file)) as read:
            data = read.read(header + count * item)
        assert struct.unpack(">I", data[:4])[0] == magic
        with gzip.open(os.path.join(target, file), "wb") as write:
            write.write(data[:4] + struct.pack(">I", count) + data[8:])
PY

# example | expected status | message (extended regex, stdout and stderr) | flags
cases=(
  "digits_fedavg|0|0 rounds: nothing trained|--rounds 0"
  "digits_fedavg|0|0 rounds: nothing trained|--partition centralised --rounds 0"
  "digits_fedavg|2|'--rounds' needs a whole number|--rounds -1"
  "digits_fedavg|2|'--rounds' needs a whole number|--rounds nan"
  "digits_fedavg|2|'--rounds' needs a whole number|--rounds inf"
  "digits_fedavg|2|'--rounds' needs a whole number|--rounds 2.5"
  "digits_fedavg|2|'--rounds' needs a whole number|--rounds 1e30"
  "digits_fedavg|2|'--rounds' needs a whole number|--rounds 99999999999999999999"
  "digits_fedavg|2|'--rounds' needs a number, got 'ten'|--rounds ten"
  "digits_fedavg|2|'--rounds' needs a value|--rounds"
  "digits_fedavg|2|unknown option '--round'|--round 3"
  "digits_fedavg|2|unknown option 'rounds'|rounds 3"
  "digits_fedavg|2|client fraction C must be in \(0, 1\], got 0|--fraction 0"
  "digits_fedavg|2|client fraction C must be in \(0, 1\], got 1.5|--fraction 1.5"
  "digits_fedavg|2|client fraction C must be in \(0, 1\], got nan|--fraction nan"
  "digits_fedavg|2|client fraction C must be in \(0, 1\], got -inf|--fraction -inf"
  "digits_fedavg|2|learning rate must be finite and > 0, got nan|--lr nan"
  "digits_fedavg|2|learning rate must be finite and > 0, got -1|--lr -1"
  "digits_fedavg|2|learning rate must be finite and > 0, got inf|--lr inf"
  "digits_fedavg|2|learning rate must be finite and > 0|--partition centralised --lr 0"
  "digits_fedavg|2|epochs \(E\) must be at least 1|--epochs 0"
  "digits_fedavg|2|'--clients' needs at least 1 client|--clients 0"
  "digits_fedavg|2|'--clients' needs a whole number from 0 to 9223372036854775807, got '1e19'|--clients 1e19"
  "digits_fedavg|2|'--clients' needs a whole number|--clients -3"
  "digits_fedavg|2|option '--alpha' needs '--partition dirichlet'|--partition iid --alpha 0.5"
  "digits_fedavg|2|option '--alpha' needs '--partition dirichlet'|--alpha 0.5"
  "digits_fedavg|2|alpha must be positive and finite, got 0|--partition dirichlet --alpha 0"
  "digits_fedavg|2|alpha must be positive and finite, got nan|--partition dirichlet --alpha nan"
  "digits_fedavg|2|target accuracy is a fraction in \[0, 1\], got -0.5|--target -0.5"
  "digits_fedavg|2|target accuracy is a fraction in \[0, 1\], got nan|--target nan"
  "digits_fedavg|2|target accuracy is a fraction in \[0, 1\], got 1.5|--target 1.5"
  "digits_fedavg|2|unknown partition 'shards'|--partition shards"
  "digits_fedavg|2|'--threads' needs a whole number|--threads 1e30"
  "digits_fedavg|2|'--seed' needs a whole number from 0 to 18446744073709551615|--seed -1"
  "digits_fedavg|2|'--batch' needs a whole number|--batch 0.5"
  "digits_fedavg|1|/nonexistent: cannot open the file|--data /nonexistent"
  "digits_fedavg|1|Is a directory|--data $scratch/not-a-dir-file"
  "digits_fedavg|1|not a gzip file|--data $scratch/plain.csv.gz"
  "digits_fedavg|1|$scratch/empty.gz|--data $scratch/empty.gz"
  "digits_fedavg|1|writing the header to '/dev/full' failed: No space left on device|--rounds 2 --csv /dev/full"
  "digits_fedavg|2|cannot open '/nonexistent/metrics.csv' for writing|--rounds 2 --csv /nonexistent/metrics.csv"
  "digits_fedavg|0|final test accuracy|--rounds 2 --csv $scratch/metrics.csv"
  "digits_fedavg|2|--save-weights: cannot write '/nonexistent/w.npz': there is no directory '/nonexistent'|--rounds 2 --save-weights /nonexistent/w.npz"
  "digits_fedavg|2|--save-weights: '$scratch/folder.npz' is a directory|--rounds 2 --save-weights $scratch/folder.npz"
  "digits_fedavg|2|--save-weights: 'w.txt': unknown weights file extension|--rounds 2 --save-weights w.txt"
  "digits_fedavg|2|--init-weights: 'w.txt': unknown weights file extension|--rounds 2 --init-weights w.txt"
  "digits_fedavg|0|final weights saved to $scratch/w.npz|--rounds 2 --save-weights $scratch/w.npz"
  "digits_fedavg|2|unknown aggregation 'median'|--aggregation median"
  "digits_fedavg|2|--aggregation secure is for federated runs, not --partition centralised|--aggregation secure --partition centralised"
  "digits_fedavg|2|adaptive clipping with secure aggregation is not available|--aggregation secure --dp-noise 1 --dp-adaptive 0.5"
  "digits_fedavg|0|values encoded in \[-25, 25\]|--aggregation secure --dp-noise 4 --dp-clip 1 --rounds 1"
  "digits_fedavg|2|each round samples 1 clients on average: a secure round needs at least 2|--aggregation secure --dp-noise 1 --fraction 0.1 --rounds 1"
  "digits_fedavg|2|each round selects 1200 clients, more than the encoding sums without wrapping around \(1023\)|--aggregation secure --clients 1200 --rounds 1"
  "digits_fedavg|1|no round was aggregated.*the first: only 0 of the 10 selected clients have an update to mask|--aggregation secure --rounds 2 --lr 50"
  "digits_fedavg|1|nan.npz: array '[0-9a-z.]+' holds NaN or infinite values|--rounds 2 --init-weights $scratch/nan.npz"
  "digits_fedavg|1|nan.npz: array '[0-9a-z.]+' holds NaN or infinite values|--partition centralised --rounds 2 --init-weights $scratch/nan.npz"
  "digits_fedavg|0|privacy spent|--rounds 2 --aggregation secure --dp-noise 1 --fraction 0.5"
  "digits_fedavg|0|final test accuracy|--rounds 2 --aggregation secure"
  "digits_fedavg|2|noise multiplier z must be finite and > 0, got 0|--dp-noise 0"
  "digits_fedavg|2|noise multiplier z must be finite and > 0, got -1|--dp-noise -1"
  "digits_fedavg|2|noise multiplier z must be finite and > 0, got nan|--dp-noise nan"
  "digits_fedavg|2|'--dp-noise' needs a number, got 'lots'|--dp-noise lots"
  "digits_fedavg|2|clip norm must be finite and > 0, got 0|--dp-noise 1 --dp-clip 0"
  "digits_fedavg|2|clip norm must be finite and > 0, got inf|--dp-noise 1 --dp-clip inf"
  "digits_fedavg|2|delta must be in \(0, 1\), got 1|--dp-noise 1 --dp-delta 1"
  "digits_fedavg|2|delta must be in \(0, 1\), got 0|--dp-noise 1 --dp-delta 0"
  "digits_fedavg|2|epsilon budget must be finite and > 0, got -2|--dp-noise 1 --dp-budget -2"
  "digits_fedavg|2|target quantile must be in \[0, 1\], got 1.5|--dp-noise 1 --dp-adaptive 1.5"
  "digits_fedavg|2|initial norm must be finite and > 0, got 0|--dp-noise 1 --dp-adaptive 0.5 --dp-clip 0"
  "digits_fedavg|2|must exceed z / 2|--dp-noise 5 --dp-adaptive 0.5"
  "digits_fedavg|2|unknown estimator 'median'|--dp-noise 1 --dp-estimator median"
  "digits_fedavg|2|weight cap must be finite and >= 0|--dp-noise 1 --dp-weight-cap -1"
  "digits_fedavg|2|unweighted estimator \(w_k = 1\) has no weight cap|--dp-noise 1 --dp-estimator unweighted --dp-weight-cap 5"
  "digits_fedavg|2|weighted estimator .* needs a weight cap > 0, fixed before the run|--dp-noise 1 --dp-estimator weighted"
  "digits_fedavg|0|weighted estimator \(cap 15\)|--rounds 1 --fraction 0.5 --dp-noise 1 --dp-weight-cap 15"
  "digits_fedavg|0|no client was selected \(Poisson sampling\)|--dp-noise 1 --fraction 0.1 --clients 10 --rounds 12"
  "digits_fedavg|2|'--dp-clip' needs '--dp-noise'|--dp-clip 1"
  "digits_fedavg|2|'--dp-budget' needs '--dp-noise'|--dp-budget 8"
  "digits_fedavg|2|for federated runs, not --partition centralised|--partition centralised --dp-noise 1"
  "digits_fedavg|2|option '--epochs' is for federated runs|--partition centralised --epochs 5"
  "digits_fedavg|2|option '--csv' is for federated runs|--partition centralised --csv metrics.csv"
  "digits_fedavg|0|privacy spent: \(epsilon, delta\) = \([0-9.e+]+, 1e-05\) after 2 rounds|--rounds 2 --fraction 0.5 --dp-noise 1"
  "digits_fedavg|0|stopped: the next round would exceed the budget|--rounds 50 --fraction 0.5 --dp-noise 1 --dp-budget 5"
  "mnist_fedavg|2|noise multiplier z must be finite and > 0, got 0|--dp-noise 0"
  "mnist_fedavg|2|'--dp-adaptive' needs '--dp-noise'|--dp-adaptive 0.5"
  "mnist_fedavg|1|0 rounds: nothing trained|--rounds 0"
  "mnist_fedavg|2|client fraction C must be in \(0, 1\], got 0|--fraction 0"
  "mnist_fedavg|2|learning rate must be finite and > 0, got nan|--lr nan"
  "mnist_fedavg|2|'--clients' needs at least 1 client|--clients 0"
  "mnist_fedavg|2|'--clients' needs a whole number from 0 to 9223372036854775807, got '1e19'|--clients 1e19"
  "mnist_fedavg|2|target accuracy is a fraction in \[0, 1\], got -0.5|--target -0.5"
  "mnist_fedavg|2|target accuracy is a fraction in \[0, 1\], got nan|--target nan"
  "mnist_fedavg|2|'--rounds' needs a whole number|--rounds nan"
  "mnist_fedavg|2|unknown partition 'dirichlet'|--partition dirichlet"
  "mnist_fedavg|2|unknown model 'resnet' \(2nn or cnn\)|--model resnet"
  "mnist_fedavg|1|0 rounds: nothing trained; the initial model's test accuracy is [0-9.]+% \(target 99.00%\)|--model cnn --rounds 0 --data $scratch/mnist-small"
  "mnist_fedavg|2|60000 examples cannot make 40000 x 2 non-empty shards|--partition noniid --clients 40000"
  "mnist_fedavg|1|/nonexistent/train-[a-z]+-idx[13]-ubyte.gz: cannot open the file|--data /nonexistent"
  "mnist_fedavg|2|--save-weights: cannot write '/nonexistent/w.safetensors': there is no directory '/nonexistent'|--save-weights /nonexistent/w.safetensors"
  "networked/networked_mnist|2|--mask-clip-norm, --mask-min-noise and --mask-min-own-noise bind the updates a client masks for secure aggregation: give --aggregation secure|--party client-0 --mask-clip-norm 1 --mask-min-noise 1"
  "networked/networked_mnist|2|--mask-clip-norm and --mask-min-noise go together|--party client-0 --aggregation secure --mask-clip-norm 1"
  "networked/networked_mnist|2|--mask-clip-norm and --mask-min-noise go together|--party client-0 --aggregation secure --mask-min-noise 1 --mask-min-own-noise 1"
  "networked/networked_mnist|2|option '--mask-clip-norm' must be finite and > 0, got 0|--party client-0 --aggregation secure --mask-clip-norm 0 --mask-min-noise 1"
  "networked/networked_mnist|2|option '--mask-min-noise' must be finite and > 0, got nan|--party client-0 --aggregation secure --mask-clip-norm 1 --mask-min-noise nan"
  "networked/networked_mnist|2|option '--mask-min-noise' needs a number, got 'x'|--party client-0 --aggregation secure --mask-clip-norm 1 --mask-min-noise x"
  "networked/networked_mnist|2|option '--mask-min-own-noise' must be finite and >= 0, got -1|--party client-0 --aggregation secure --mask-clip-norm 1 --mask-min-noise 1 --mask-min-own-noise -1"
  "networked/networked_mnist|2|option '--mask-min-own-noise' must be finite and >= 0, got inf|--party client-0 --aggregation secure --mask-clip-norm 1 --mask-min-noise 1 --mask-min-own-noise inf"
  "networked/networked_mnist|2|option '--mask-clip-norm' is a data owner's \(give it to each client's process\)|--party me --mask-clip-norm 1 --mask-min-noise 1"
  "networked/networked_mnist|2|option '--mask-min-noise' is a data owner's \(this party aggregates\)|--party aggregator --mask-min-noise 1"
  "networked/networked_mnist|2|option '--max-bytes-per-requester' is a serving party's \(a data owner or aggregator\)|--party me --max-bytes-per-requester 1000"
  "networked/networked_mnist|2|option '--max-bytes-per-requester' needs a whole number from 0 to 9223372036854775807, got '-1'|--party client-0 --max-bytes-per-requester -1"
)

failures=0
runs=0
run_case() { # example status pattern flags... ; extra environment set by the caller
    local example="$1" expected="$2" pattern="$3"
    shift 3
    runs=$((runs + 1))
    local output status start=$EPOCHREALTIME
    # FSIZE_LIMIT (KiB), if set, limits the files the example writes, with
    # SIGXFSZ ignored: writes past it fail with EFBIG.
    output="$(
        if [ -n "${FSIZE_LIMIT:-}" ]; then
            trap '' XFSZ
            ulimit -f "$FSIZE_LIMIT"
        fi
        timeout 300 "$bin/$example" "$@" 2>&1
    )"
    status=$?
    # Each run's wall time, for whoever looks for what makes this test long.
    local took
    took="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }')"
    local problem=""
    if [ "$status" -ge 124 ]; then
        problem="ended with status $status (a signal, a timeout or std::terminate)"
    elif [ "$status" -ne "$expected" ]; then
        problem="exit status $status, expected $expected"
    elif grep -q "terminate called" <<<"$output"; then
        problem="std::terminate"
    elif ! grep -Eq -- "$pattern" <<<"$output"; then
        problem="no message matching '$pattern'"
    fi
    if [ -n "$problem" ]; then
        failures=$((failures + 1))
        echo "FAIL: $example $*: $problem ($took)"
        sed 's/^/    | /' <<<"$output" | tail -n 8
    else
        echo "ok:   $example $* -> $status ($took)"
    fi
}

# networked_mnist is built with fedpp::grpc only, and secure aggregation
# with fedpp::secure_aggregation only.
secure_built() {
    ! "$bin/$1" --party client-0 --aggregation secure 2>&1 | grep -q "built without secure aggregation"
}
for case in "${cases[@]}"; do
    IFS='|' read -r example expected pattern flags <<<"$case"
    if [ ! -x "$bin/$example" ]; then
        echo "skipped: $example $flags (not built here)"
        continue
    fi
    if [[ " $flags " == *" --aggregation secure "* ]] && ! secure_built "$example"; then
        echo "skipped: $example $flags (built without secure aggregation)"
        continue
    fi
    # shellcheck disable=SC2086 # the flags are words
    run_case "$example" "$expected" "$pattern" $flags
done

# A file-size limit while writing the metrics: with SIGXFSZ ignored (as a
# shell or Python may leave it), writes past the limit fail with EFBIG, and
# the run must say so and fail, not end 0 with half a file.
FSIZE_LIMIT=1 run_case digits_fedavg 1 "CsvMetricsWriter: writing the row of round [0-9]+ to .* failed: File too large" \
    --rounds 60 --csv "$scratch/limited.csv"

# Standard output on a full disk: the progress lines are lost, so the run fails.
output="$(timeout 300 "$bin/digits_fedavg" --rounds 2 2>&1 >/dev/full)"
status=$?
if [ "$status" -ne 1 ] || ! grep -q "cannot write to standard output: No space left on device" <<<"$output"; then
    failures=$((failures + 1))
    echo "FAIL: digits_fedavg --rounds 2 >/dev/full: status $status: $output"
else
    echo "ok:   digits_fedavg --rounds 2 >/dev/full -> 1"
fi

echo "$failures failure(s) in $((runs + 1)) runs"
[ "$failures" -eq 0 ]
