"""Minimal, deterministic safetensors reader/writer (numpy only).

Used by the golden scripts (no `safetensors` package is installed). The file is
byte-for-byte a function of the tensors: the header is
json.dumps(header, separators=(",", ":"), sort_keys=True) with
name -> {"data_offsets", "dtype", "shape"}, tensor data follows in sorted-name
order, little-endian, and the header is padded with b" " so that 8 + len(header)
is a multiple of 8. A "__metadata__" entry is written only when given.
"""

import json
import struct

import numpy as np

_DTYPES = {
    np.dtype("float32"): "F32",
    np.dtype("float64"): "F64",
    np.dtype("float16"): "F16",
    np.dtype("int32"): "I32",
    np.dtype("int64"): "I64",
    np.dtype("uint16"): "U16",
    np.dtype("uint8"): "U8",
}
_NP = {v: k for k, v in _DTYPES.items()}


def _as_array(t):
    if hasattr(t, "detach"):  # torch tensor, without importing torch here
        t = t.detach().cpu().numpy()
    a = np.asarray(t)
    if a.dtype not in _DTYPES:
        raise TypeError("unsupported dtype %s" % a.dtype)
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"), copy=False))


def encode_safetensors(tensors, metadata=None):
    """dict name -> numpy array (or torch tensor) -> bytes."""
    header = {} if metadata is None else {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        a = _as_array(tensors[name])
        data = a.tobytes(order="C")
        header[name] = {
            "dtype": _DTYPES[a.dtype.newbyteorder("=")],
            "shape": list(a.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    hbytes = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    hbytes += b" " * ((8 - (8 + len(hbytes)) % 8) % 8)
    return struct.pack("<Q", len(hbytes)) + hbytes + b"".join(chunks)


def write_safetensors(path, tensors, metadata=None):
    with open(path, "wb") as f:
        f.write(encode_safetensors(tensors, metadata))


def read_safetensors(path):
    """path -> dict name -> numpy array (copies; metadata ignored)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = _NP[info["dtype"]].newbyteorder("<")
        a, b = info["data_offsets"]
        arr = np.frombuffer(buf[base + a : base + b], dtype=dt).reshape(info["shape"])
        out[name] = arr.astype(dt.newbyteorder("="), copy=True)
    return out
