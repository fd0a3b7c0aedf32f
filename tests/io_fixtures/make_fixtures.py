"""Writes the weights files in tests/io_fixtures/, as NumPy and plain Python
write them, so that fedpp's readers are tested against other writers even
where Python is not installed (tests/test_io_formats.cpp reads them).

    python3 tests/io_fixtures/make_fixtures.py      # Debian: python3-numpy

Every file holds the parameters of a PyTorch nn.Sequential(Linear(3, 4),
ReLU(), Linear(4, 2)): 0.weight [4, 3], 0.bias [4], 2.weight [2, 4],
2.bias [2]. Value k (C order) of tensor t (in that order) is
(k + 10 t) / 16 - 1, exact in float32 and float64; the test computes the
same formula.
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = [("0.weight", (4, 3)), ("0.bias", (4,)), ("2.weight", (2, 4)), ("2.bias", (2,))]


def arrays(dtype):
    out = {}
    for t, (name, shape) in enumerate(SHAPES):
        count = int(np.prod(shape))
        out[name] = ((np.arange(count) + 10 * t) / 16 - 1).astype(dtype).reshape(shape)
    return out


def write_safetensors(path, tensors, metadata):
    # Data in reverse name order, header keys in name order, padded with
    # spaces: another writer's choices than fedpp's, all allowed.
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors, reverse=True):
        data = tensors[name].astype(tensors[name].dtype.newbyteorder("<")).tobytes()
        dtype = {np.dtype("float32"): "F32", np.dtype("float64"): "F64"}[tensors[name].dtype]
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(dict(sorted(header.items())), indent=1).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def main():
    np.savez(os.path.join(HERE, "numpy_savez_f32.npz"), **arrays(np.float32))
    np.savez_compressed(os.path.join(HERE, "numpy_savez_compressed_f64.npz"), **arrays(np.float64))
    write_safetensors(os.path.join(HERE, "stdlib_f32.safetensors"), arrays(np.float32), {"format": "pt"})
    write_safetensors(os.path.join(HERE, "stdlib_f64.safetensors"), arrays(np.float64), {"writer": "make_fixtures.py"})


if __name__ == "__main__":
    main()
