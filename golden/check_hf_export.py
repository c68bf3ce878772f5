"""Loads an `lnfree export --format hf` directory with the transcription of
Hugging Face's GPT2LMHeadModel forward (gpt2_reference.plain_gpt2_forward:
plain LayerNorm with the config's eps, tied unembedding — no lnfree code) and
checks its logits on golden/model/batch.safetensors against the PyTorch
frozen-LN model's (golden/model/frozen/expected.safetensors).

usage: /usr/bin/python3 golden/check_hf_export.py EXPORT_DIR"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gpt2_reference as ref  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402


def main(argv):
    cfg, params, state = ref.load_model_dir(argv[1])
    assert cfg["layer_norm_epsilon"] == 1e12, "not an hf export: eps %r" % cfg["layer_norm_epsilon"]
    assert all(v["mode"] == "real" for v in state["sites"].values()), "hf export has frozen sites"
    x = torch.from_numpy(read_safetensors(os.path.join(HERE, "model", "batch.safetensors"))["x"])
    want = read_safetensors(os.path.join(HERE, "model", "frozen", "expected.safetensors"))["logits"]
    with torch.no_grad():
        got = ref.plain_gpt2_forward(params, cfg, x.long()).numpy()
    diff = float(np.abs(got - want).max())
    # fp32 round-off: the hf form rescales γ by 1e6/σ and divides by √(var+1e12) = 1e6
    print("hf export vs frozen model: max|Δlogits| = %.3g (logits up to %.3g)"
          % (diff, float(np.abs(want).max())))
    return 0 if diff <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
