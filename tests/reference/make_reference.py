#!/usr/bin/env python3
"""Generates tests/reference/pytorch_reference.hpp: reference numbers from
PyTorch (float64) that fedpp's tests compare against.

Run it offline with Debian's python3-torch (the tests never need PyTorch):

    /usr/bin/python3 tests/reference/make_reference.py > tests/reference/pytorch_reference.hpp

Numbers are written as C99 hex-float literals, so they are exact.

1. The "Federated Learning with Model Averaging" loop of PySyft's tutorial,
   in plain PyTorch with the same arithmetic PySyft performs: toy data
   [[0,0],[0,1],[1,0],[1,1]] -> [0,0,1,1], Bob holds rows 0-1, Alice rows 2-3,
   Linear(2,1), SGD lr 0.1, 10 rounds x 5 local steps, loss
   ((pred - target)**2).sum(), then (alice + bob) / 2 per parameter.
2. A small MLP (Linear(4,5) -> Tanh -> Linear(5,5) -> ReLU -> Linear(5,3) ->
   Sigmoid... see below) trained with cross_entropy and SGD with momentum and
   weight decay, to check the other operations and the optimiser.
"""
import sys

import torch

torch.set_default_dtype(torch.float64)


def hexlist(values):
    return ", ".join(float(v).hex() for v in values)


def emit_array(name, values):
    values = list(values)
    print(f"inline constexpr std::array<double, {len(values)}> {name}{{{hexlist(values)}}};")


def model_averaging():
    torch.manual_seed(2019)
    data = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1.0]])
    target = torch.tensor([[0], [0], [1], [1.0]])
    bobs_data, bobs_target = data[0:2], target[0:2]
    alices_data, alices_target = data[2:], target[2:]
    model = torch.nn.Linear(2, 1)
    emit_array("initial_weight", model.weight.detach().flatten())
    emit_array("initial_bias", model.bias.detach().flatten())

    bob_losses, alice_losses = [], []
    for _ in range(10):
        bobs_model = torch.nn.Linear(2, 1)
        alices_model = torch.nn.Linear(2, 1)
        with torch.no_grad():
            for m in (bobs_model, alices_model):
                m.weight.copy_(model.weight)
                m.bias.copy_(model.bias)
        bobs_opt = torch.optim.SGD(params=bobs_model.parameters(), lr=0.1)
        alices_opt = torch.optim.SGD(params=alices_model.parameters(), lr=0.1)
        for _ in range(5):
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
        bob_losses.append(bobs_loss)
        alice_losses.append(alices_loss)

    emit_array("bob_losses", bob_losses)
    emit_array("alice_losses", alice_losses)
    emit_array("final_weight", model.weight.detach().flatten())
    emit_array("final_bias", model.bias.detach().flatten())
    with torch.no_grad():
        preds = model(data)
        loss = ((preds - target) ** 2).sum()
    emit_array("final_predictions", preds.flatten())
    emit_array("final_loss", [loss.item()])


def mlp_training():
    """Linear(4,6) -> Tanh -> Linear(6,5) -> ReLU -> Linear(5,3), cross_entropy,
    SGD(lr=0.05, momentum=0.9, weight_decay=0.01), 8 steps on a fixed batch of
    7 examples. Also a Sigmoid head with mse_loss (mean) for the same inputs."""
    torch.manual_seed(7)
    x = torch.randn(7, 4)
    labels = torch.tensor([0, 2, 1, 1, 0, 2, 2])
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3)
    )
    emit_array("mlp_x", x.flatten())
    print(f"inline constexpr std::array<std::int32_t, {len(labels)}> mlp_labels{{{', '.join(str(int(v)) for v in labels)}}};")
    for i, p in enumerate(model.parameters()):
        emit_array(f"mlp_initial_{i}", p.detach().flatten())
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.01)
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    emit_array("mlp_losses", losses)
    for i, p in enumerate(model.parameters()):
        emit_array(f"mlp_final_{i}", p.detach().flatten())

    # Sigmoid + log_softmax + mse(mean) head on the trained network's output,
    # to check those operations' values and gradients.
    y = torch.rand(7, 3)
    out = model(x).detach().requires_grad_(True)
    loss = torch.nn.functional.mse_loss(torch.sigmoid(out), y) + torch.log_softmax(out, dim=1).mean()
    loss.backward()
    emit_array("head_target", y.flatten())
    emit_array("head_input", out.detach().flatten())
    emit_array("head_loss", [loss.item()])
    emit_array("head_grad", out.grad.flatten())


def main():
    print("// Generated by tests/reference/make_reference.py with PyTorch " + torch.__version__ + " (float64).")
    print("// Do not edit: re-run the script instead.")
    print("#pragma once")
    print("#include <array>")
    print("#include <cstdint>")
    print("namespace reference {")
    model_averaging()
    mlp_training()
    print("} // namespace reference")


if __name__ == "__main__":
    sys.exit(main())
