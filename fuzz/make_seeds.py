#!/usr/bin/python3
"""Writes the committed seed corpora fuzz/corpus/<target>/ (deterministic).

Valid files and edge cases for the parsers (copied from golden/ where one
exists), and byte strings for the targets that decode their input into
numbers (random at a fixed seed, plus all-zero and all-0xff inputs, which
decode to the smallest and the extreme cases). Run from anywhere:
    /usr/bin/python3 fuzz/make_seeds.py
"""

import json
import os
import random
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "golden"))
import numpy as np  # noqa: E402
from safetensors_io import encode_safetensors  # noqa: E402

rng = random.Random(20240520)


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def random_bytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def byte_seeds(target, sizes, prefixes=(b"",)):
    for p in prefixes:
        tag = p.hex() or "x"
        put(target, "zeros-%s" % tag, p + bytes(64))
        put(target, "ones-%s" % tag, p + b"\xff" * 64)
        for n in sizes:
            put(target, "random-%s-%d" % (tag, n), p + random_bytes(n))


def reset(target):
    shutil.rmtree(os.path.join(HERE, "corpus", target), ignore_errors=True)


def golden(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


# Targets that decode numbers from their bytes.
for t in ("fuzz_ln_fixed", "fuzz_ln_fixed_fpe"):
    reset(t)
    byte_seeds(t, (24, 300, 1500, 4000))
reset("fuzz_gpt2")
byte_seeds("fuzz_gpt2", (80, 400, 1200))
reset("fuzz_kernels")
byte_seeds("fuzz_kernels", (100, 900), prefixes=(b"\x00", b"\x01", b"\x02", b"\x03"))
reset("fuzz_matmul")
byte_seeds("fuzz_matmul", (40, 200, 800))

# safetensors: the golden batch, and small files for each dtype and edge.
t = "fuzz_safetensors"
reset(t)
put(t, "golden-batch.safetensors", golden("golden/model/batch.safetensors"))
put(t, "all-dtypes.safetensors", encode_safetensors({
    "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
    "f16": np.array([1.5, -2.0, np.inf], dtype=np.float16),
    "i32": np.array([[1, -2], [3, 4]], dtype=np.int32),
    "i64": np.array([2**40, -1], dtype=np.int64),
    "u8": np.array([1, 2, 3], dtype=np.uint8),
    "u16": np.array([65535], dtype=np.uint16),
    "scalar": np.array(3.0, dtype=np.float32),
    "empty": np.zeros((0, 4), dtype=np.float32),
}))
put(t, "nan.safetensors", encode_safetensors({"w": np.array([np.nan, 1.0], dtype=np.float32)}))


def raw_st(header, data=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


put(t, "bf16-metadata.safetensors", raw_st(
    {"__metadata__": {"format": "pt"},
     "b": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\x80\x3f\x00\xc0"))
put(t, "empty-header.safetensors", raw_st({}))
put(t, "overlap.safetensors", raw_st(
    {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
     "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)))
put(t, "past-end.safetensors", raw_st(
    {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8)))
put(t, "bad-dtype.safetensors", raw_st(
    {"a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}, bytes(8)))
put(t, "header-too-long.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
put(t, "short.safetensors", b"\x02\x00\x00")

# config.json: the golden one, GPT-2 small's HF config, lnfree's folded form.
t = "fuzz_config"
reset(t)
put(t, "golden-config.json", golden("golden/model/real/model/config.json"))
put(t, "gpt2-small.json", json.dumps({
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
    "attn_pdrop": 0.1, "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256,
    "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
    "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024,
    "resid_pdrop": 0.1, "vocab_size": 50257}, indent=2))
put(t, "folded.json", json.dumps({
    "n_layer": 2, "n_head": 2, "n_embd": 24, "n_positions": 16, "vocab_size": 97,
    "eos_token_id": 96, "layer_norm_epsilon": 1e12, "lnfree_folded": True,
    "tie_word_embeddings": False, "n_inner": None}))
put(t, "minimal-nctx.json", '{"n_layer":1,"n_head":1,"n_embd":4,"n_ctx":8,"vocab_size":5}')
put(t, "bad-head.json", '{"n_layer":1,"n_head":3,"n_embd":4,"n_positions":8,"vocab_size":5}')

# lnfree.json: the golden frozen and mixed states, and small variants.
t = "fuzz_ln_state"
reset(t)
put(t, "golden-frozen.json", golden("golden/model/frozen/model/lnfree.json"))
put(t, "golden-mixed.json", golden("golden/model/mixed/model/lnfree.json"))
put(t, "all-real.json", '{"format":"lnfree-ln-state","version":1}')
put(t, "one-site.json", '{"format":"lnfree-ln-state","version":1,"sites":{"h.1.ln2":'
                        '{"mode":"frozen","sigma":1e-3,"sigma_bos":1e4}},'
                        '"special":{"bos":false,"eot":true,"eot_sites":["lnf","ln2"]}}')

# Schedules: what the presets produce for 2 layers, and edge cases.
t = "fuzz_schedule"
reset(t)
put(t, "fast-2layers.txt", "# fast, 2 layers\n20 freeze ln2 0\n22 freeze ln2 1\n"
                           "24 freeze ln1qk 0\n26 freeze ln1qk 1\n28 freeze ln1v 0\n"
                           "31 freeze ln1v 1\n34 freeze lnf\n36 end eot-special\n"
                           "38 end bos-special\n")
put(t, "comments-crlf.txt", "\r\n# only a comment\r\n  5 freeze lnf   # trailing\r\n\r\n")
put(t, "out-of-order.txt", "10 freeze ln2 0\n5 freeze ln2 1\n")
put(t, "repeat.txt", "1 end eot-special\n2 end eot-special\n")
put(t, "bad-layer.txt", "1 freeze ln1v 99\n")
put(t, "empty.txt", "")

# Token files: raw uint16 and llm.c shards.
t = "fuzz_tokens"
reset(t)
put(t, "raw.bin", struct.pack("<8H", 50256, 464, 3290, 318, 50256, 0, 1, 50255))
put(t, "raw-odd.bin", b"\x01\x00\x02")
put(t, "empty.bin", b"")
header = struct.pack("<3i", 20240520, 1, 5) + bytes(4 * 253)
put(t, "llmc.bin", header + struct.pack("<5H", 50256, 15496, 11, 995, 13))
put(t, "llmc-short-count.bin", struct.pack("<3i", 20240520, 1, 9) + bytes(4 * 253) +
    struct.pack("<2H", 1, 2))
put(t, "llmc-version2.bin", struct.pack("<3i", 20240520, 2, 1) + bytes(4 * 253) + b"\x01\x00")

# Tokenizer: text, including what GPT-2's pattern and byte alphabet find hard.
t = "fuzz_tokenizer"
reset(t)
put(t, "english.txt", "The quick brown fox jumps over the lazy dog. It's 3:45pm, isn't it?\n")
put(t, "contractions.txt", "I'll we've they're she'd you'm 'S 'LL don't\n")
put(t, "whitespace.txt", "a  b\t\tc\n\n\n   d \u00a0e\u2003f\u0085g\ufeffh   ")
put(t, "unicode.txt", "naïve café 東京 Ελληνικά русский 🙂👍🏽 ١٢٣ ½")
put(t, "endoftext.txt", "<|endoftext|>Hello<|endoftext|> world")
put(t, "invalid-utf8.bin", b"ab\xff\xfe cd \xc3\x28 \xe2\x82 \xf0\x9f\x98 \xed\xa0\x80 end")
put(t, "digits.txt", "1234567890 3.14159 1e-5 0x7fffffff")
put(t, "empty.txt", "")
# HellaSwag evaluation files: the golden one, one example, one cut short.
t = "fuzz_hellaswag"
reset(t)
put(t, "golden-hellaswag.bin", golden("golden/analysis/hellaswag.bin"))
one = [65535, 0, 0, 2, 4, 3, 10, 20, 30, 1, 5, 2, 6, 7, 1, 8, 3, 9, 10, 11]
one[1] = 2 * len(one)
put(t, "one-example.bin", struct.pack("<4i", 20240522, 1, 1, one[1]) + bytes(4 * 252) +
    struct.pack("<%dH" % len(one), *one))
put(t, "cut-short.bin", struct.pack("<4i", 20240522, 1, 2, one[1]) + bytes(4 * 252) +
    struct.pack("<%dH" % len(one), *one))
print("fuzz/make_seeds.py: corpora written to", os.path.join(HERE, "corpus"))
