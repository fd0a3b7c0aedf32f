"""The PyTorch side of tests/test_io_pytorch.cpp: fedpp's weights files
into torch.nn.Sequential, and PyTorch's weights out to files fedpp reads.

Needs torch and numpy (Debian: python3-torch python3-numpy), and nothing
else: safetensors files are read and written with the standard library
(struct and json; the `safetensors` package is not used), .npz files with
numpy.load and numpy.savez / numpy.savez_compressed.

    pytorch_weights.py predict WEIGHTS DTYPE INPUTS_JSON OUTPUT_JSON [MODEL]
        Loads WEIGHTS (.safetensors or .npz) into the model below with
        load_state_dict(strict=True), checks every tensor's dtype, and
        writes the model's predictions (in eval mode) for the inputs.
    pytorch_weights.py write PREFIX DTYPE SEED [MODEL]
        Writes a seeded PyTorch model's state_dict() to PREFIX.safetensors,
        PREFIX.npz (numpy.savez) and PREFIX_compressed.npz
        (numpy.savez_compressed), and inputs with its predictions to
        PREFIX.json.

The models, as the C++ test builds them with fedpp (MODEL, default mlp):
mlp: nn.Sequential(Linear(5, 8), ReLU(), Linear(8, 8), Tanh(), Linear(8, 3));
cnn: nn.Sequential(Conv2d(1, 3, 3, padding=1), ReLU(), MaxPool2d(2),
     Conv2d(3, 4, (2, 3), stride=(2, 1)), Flatten(), Dropout(0.25),
     Linear(8, 5)) on 1x6x8 images, given as rows of 48 values (NCHW order).
"""
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"float32": (torch.float32, "F32", "f"), "float64": (torch.float64, "F64", "d")}


def make_model(dtype, kind="mlp"):
    nn = torch.nn
    if kind == "cnn":
        return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(3, 4, (2, 3), stride=(2, 1)), nn.Flatten(), nn.Dropout(0.25),
                             nn.Linear(8, 5)).to(dtype)
    if kind != "mlp":
        sys.exit("unknown model %r (mlp or cnn)" % kind)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3)).to(dtype)


def model_inputs(rows, kind):
    """Rows of features as the model takes them: images for the CNN."""
    return rows.reshape(-1, 1, 6, 8) if kind == "cnn" else rows


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack_from("<Q", raw, 0)
    header = json.loads(raw[8:8 + length])
    header.pop("__metadata__", None)
    data = raw[8 + length:]
    state = {}
    for name, entry in header.items():
        dtype, _, code = next(v for v in DTYPES.values() if v[1] == entry["dtype"])
        begin, end = entry["data_offsets"]
        count = (end - begin) // struct.calcsize(code)
        values = struct.unpack_from("<%d%s" % (count, code), data, begin)
        state[name] = torch.tensor(values, dtype=dtype).reshape(entry["shape"])
    return state


def write_safetensors(path, state, dtype_name):
    _, tag, code = DTYPES[dtype_name]
    header, chunks, offset = {}, [], 0
    for name, tensor in state.items():
        values = tensor.detach().reshape(-1).tolist()
        chunk = struct.pack("<%d%s" % (len(values), code), *values)
        header[name] = {"dtype": tag, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    text = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def read_weights(path):
    if path.endswith(".npz"):
        with np.load(path) as archive:
            return {name: torch.from_numpy(archive[name]) for name in archive.files}
    return read_safetensors(path)


def predict(weights, dtype_name, inputs_path, output_path, kind="mlp"):
    dtype = DTYPES[dtype_name][0]
    state = read_weights(weights)
    wrong = {name: str(t.dtype) for name, t in state.items() if t.dtype != dtype}
    if wrong:
        sys.exit("tensors of another dtype than %s: %s" % (dtype_name, wrong))
    model = make_model(dtype, kind).eval()
    model.load_state_dict(state, strict=True)
    with open(inputs_path) as f:
        inputs = torch.tensor(json.load(f)["inputs"], dtype=dtype)
    with torch.no_grad():
        predictions = model(model_inputs(inputs, kind))
    with open(output_path, "w") as f:
        json.dump({"predictions": predictions.tolist()}, f)


def write(prefix, dtype_name, seed, kind="mlp"):
    dtype = DTYPES[dtype_name][0]
    torch.manual_seed(seed)
    model = make_model(dtype, kind).eval()
    inputs = torch.randn(6, 48 if kind == "cnn" else 5, dtype=dtype)
    with torch.no_grad():
        predictions = model(model_inputs(inputs, kind))
    state = model.state_dict()
    write_safetensors(prefix + ".safetensors", state, dtype_name)
    arrays = {name: tensor.numpy() for name, tensor in state.items()}
    np.savez(prefix + ".npz", **arrays)
    np.savez_compressed(prefix + "_compressed.npz", **arrays)
    with open(prefix + ".json", "w") as f:
        json.dump({"inputs": inputs.tolist(), "predictions": predictions.tolist()}, f)


def main(argv):
    if len(argv) in (6, 7) and argv[1] == "predict":
        predict(*argv[2:])
    elif len(argv) in (5, 6) and argv[1] == "write":
        write(argv[2], argv[3], int(argv[4]), *argv[5:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
