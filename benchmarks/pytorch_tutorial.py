#!/usr/bin/python3
"""Times PySyft's "Federated Learning with Model Averaging" loop in plain
PyTorch (Python), for the third column of workload 1 in the ratio table.

    /usr/bin/python3 benchmarks/pytorch_tutorial.py BENCHMARKS_JSON OUTPUT_JSON

It is the tutorial's code with the workers taken out, as a Python user would
run it without PySyft: per round a deep copy of the model per worker, each
with its own SGD optimiser, 5 local steps each, then the parameter-wise
average. It starts from the initial parameters that fedpp_benchmarks
recorded in its JSON output (context "tutorial_initial_parameters"), checks
that its per-round losses and final parameters agree with fedpp's (to float
tolerance) and only then times the loop. One thread, as every workload.

The result (OUTPUT_JSON) is read by ratio_table.py:
    {"name": "tutorial/pytorch_python", "real_time_ns": <median per run>, ...}
or, when the check fails, the same with "error" set and no time.
"""
import copy
import json
import statistics
import sys
import time

import torch

# The same tolerance as the C++ twins' check (benchmarks/workloads.cpp).
RELATIVE_TOLERANCE = 1e-4
ABSOLUTE_TOLERANCE = 1e-5
REPETITIONS = 5
MIN_SECONDS_PER_REPETITION = 0.5


def hex_floats(text):
    return [float.fromhex(token) for token in text.split()]


def tutorial(initial):
    """The tutorial loop. Returns per-round (bob, alice) losses and the final
    parameters (weight row, then bias)."""
    data = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1.0]])
    target = torch.tensor([[0], [0], [1], [1.0]])
    bobs_data, bobs_target = data[0:2], target[0:2]
    alices_data, alices_target = data[2:], target[2:]

    model = torch.nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([initial[0:2]]))
        model.bias.copy_(torch.tensor(initial[2:3]))

    losses = []
    for _ in range(10):  # iterations
        bobs_model = copy.deepcopy(model)  # PySyft's model.copy()
        alices_model = copy.deepcopy(model)
        bobs_opt = torch.optim.SGD(params=bobs_model.parameters(), lr=0.1)
        alices_opt = torch.optim.SGD(params=alices_model.parameters(), lr=0.1)
        for _ in range(5):  # worker_iters
            bobs_opt.zero_grad()
            bobs_pred = bobs_model(bobs_data)
            bobs_loss = ((bobs_pred - bobs_target) ** 2).sum()
            bobs_loss.backward()
            bobs_opt.step()
            bobs_loss = bobs_loss.item()

            alices_opt.zero_grad()
            alices_pred = alices_model(alices_data)
            alices_loss = ((alices_pred - alices_target) ** 2).sum()
            alices_loss.backward()
            alices_opt.step()
            alices_loss = alices_loss.item()
        with torch.no_grad():
            model.weight.set_((alices_model.weight.data + bobs_model.weight.data) / 2)
            model.bias.set_((alices_model.bias.data + bobs_model.bias.data) / 2)
        losses += [bobs_loss, alices_loss]
    parameters = model.weight.detach().flatten().tolist() + model.bias.detach().flatten().tolist()
    return losses, parameters


def mismatch(what, ours, fedpp):
    """None when the two lists agree to float tolerance, else the worst entry."""
    if len(ours) != len(fedpp):
        return f"{what}: PyTorch has {len(ours)} values, fedpp {len(fedpp)}"
    for i, (a, b) in enumerate(zip(ours, fedpp)):
        if not abs(a - b) <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * abs(a):
            return f"{what}[{i}]: PyTorch {a!r}, fedpp {b!r}"
    return None


def seconds_per_run(initial, runs):
    start = time.perf_counter()
    for _ in range(runs):
        tutorial(initial)
    return (time.perf_counter() - start) / runs


def main(benchmarks_json, output_json):
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    with open(benchmarks_json, encoding="utf-8") as f:
        context = json.load(f)["context"]
    initial = hex_floats(context["tutorial_initial_parameters"])
    result = {
        "name": "tutorial/pytorch_python",
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "threads": torch.get_num_threads(),
    }

    losses, parameters = tutorial(initial)
    error = mismatch("loss", losses, hex_floats(context["tutorial_fedpp_losses"])) or mismatch(
        "parameter", parameters, hex_floats(context["tutorial_fedpp_parameters"])
    )
    if error:
        result["error"] = "PyTorch and fedpp disagree, so no ratio: " + error
    else:
        # Enough runs per repetition to outlast the clock's resolution and
        # the first-call costs; the median of the repetitions is reported.
        runs = 1
        while seconds_per_run(initial, runs) * runs < MIN_SECONDS_PER_REPETITION:
            runs *= 2
        repetitions = [seconds_per_run(initial, runs) for _ in range(REPETITIONS)]
        result["runs_per_repetition"] = runs
        result["repetitions_ns"] = [s * 1e9 for s in repetitions]
        result["real_time_ns"] = statistics.median(repetitions) * 1e9

    with open(output_json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(f"{result['name']}: " + (result["error"] if "error" in result else f"{result['real_time_ns'] / 1e3:.0f} us"))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
