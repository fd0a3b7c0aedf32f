"""The PyTorch side of tests/test_io_pytorch.cpp: fedpp's weights files
into torch.nn.Sequential, and PyTorch's weights out to files fedpp reads.

Needs torch and numpy (Debian: python3-torch python3-numpy), and nothing
else: safetensors files are read and written with the standard library
(struct and json; the `safetensors` package is not used), .npz files with
numpy.load and numpy.savez / numpy.savez_compressed.

    pytorch_weights.py predict WEIGHTS DTYPE INPUTS_JSON OUTPUT_JSON
        Loads WEIGHTS (.safetensors or .npz) into the model below with
        load_state_dict(strict=True), checks every tensor's dtype, and
        writes the model's predictions for the inputs.
    pytorch_weights.py write PREFIX DTYPE SEED
        Writes a seeded PyTorch model's state_dict() to PREFIX.safetensors,
        PREFIX.npz (numpy.savez) and PREFIX_compressed.npz
        (numpy.savez_compressed), and inputs with its predictions to
        PREFIX.json.

The model, as the C++ test builds it with fedpp:
nn.Sequential(Linear(5, 8), ReLU(), Linear(8, 8), Tanh(), Linear(8, 3)).
"""
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"float32": (torch.float32, "F32", "f"), "float64": (torch.float64, "F64", "d")}


def make_model(dtype):
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 3)).to(dtype)


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


def predict(weights, dtype_name, inputs_path, output_path):
    dtype = DTYPES[dtype_name][0]
    state = read_weights(weights)
    wrong = {name: str(t.dtype) for name, t in state.items() if t.dtype != dtype}
    if wrong:
        sys.exit("tensors of another dtype than %s: %s" % (dtype_name, wrong))
    model = make_model(dtype)
    model.load_state_dict(state, strict=True)
    with open(inputs_path) as f:
        inputs = torch.tensor(json.load(f)["inputs"], dtype=dtype)
    with torch.no_grad():
        predictions = model(inputs)
    with open(output_path, "w") as f:
        json.dump({"predictions": predictions.tolist()}, f)


def write(prefix, dtype_name, seed):
    dtype = DTYPES[dtype_name][0]
    torch.manual_seed(seed)
    model = make_model(dtype)
    inputs = torch.randn(6, 5, dtype=dtype)
    with torch.no_grad():
        predictions = model(inputs)
    state = model.state_dict()
    write_safetensors(prefix + ".safetensors", state, dtype_name)
    arrays = {name: tensor.numpy() for name, tensor in state.items()}
    np.savez(prefix + ".npz", **arrays)
    np.savez_compressed(prefix + "_compressed.npz", **arrays)
    with open(prefix + ".json", "w") as f:
        json.dump({"inputs": inputs.tolist(), "predictions": predictions.tolist()}, f)


def main(argv):
    if len(argv) == 6 and argv[1] == "predict":
        predict(argv[2], argv[3], argv[4], argv[5])
    elif len(argv) == 5 and argv[1] == "write":
        write(argv[2], argv[3], int(argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
